package dev.aigw.admin;

import io.vertx.core.json.JsonArray;

/**
 * Semantic checks the Admin API cannot do by schema alone and delegates to the gateway's own parsers,
 * so that what the Admin API accepts is exactly what the data plane can build.
 *
 * <p>Each check returns null when the value is acceptable, else the reason, which the Admin API puts in
 * APISIX's wording (for {@code vars}: {@code failed to validate the 'vars' expression: <reason>}).
 * Checks run on the event loop: they must be cheap and never block.
 */
public interface AdminChecks {

    /** Accepts everything. */
    AdminChecks NONE = new AdminChecks() {
    };

    /** Checks a route's {@code vars} expression ({@code [["arg_a","==","b"]]}); null when valid. */
    default String checkVars(JsonArray vars) {
        return null;
    }

    /** The stored resources the data plane could not load (key → reason), for {@code GET /apisix/admin/aigw/check}. */
    default java.util.SortedMap<String, String> loadProblems() {
        return java.util.Collections.emptySortedMap();
    }

    /**
     * The data plane's upstream health ({@code GET /apisix/admin/aigw/healthcheck}): the list as APISIX's
     * Control API {@code /v1/healthcheck} gives it.
     */
    default JsonArray upstreamHealth() {
        return new JsonArray();
    }

    /** Number of running upstream health probers. */
    default int upstreamProbers() {
        return 0;
    }
}
