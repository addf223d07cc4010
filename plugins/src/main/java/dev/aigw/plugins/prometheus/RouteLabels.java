package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.route.RouteMemo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The label values a route contributes (id, name, matched uri and host, service, the AI node name),
 * computed once per route version and cached: a request only looks them up.
 *
 * @param id          the route id
 * @param name        the route name, or "" when it has none
 * @param matchedUri  the route's uri pattern ({@code uri}, else the first of {@code uris})
 * @param matchedHost the route's host pattern ({@code host}, else the first of {@code hosts}), or ""
 * @param serviceId   {@code service_id}, or ""
 * @param aiNode      APISIX's {@code balancer_ip} for ai-proxy routes ({@code ai-proxy-<provider>}), or null
 */
record RouteLabels(String id, String name, String matchedUri, String matchedHost, String serviceId,
                   String aiNode) {

    static final RouteLabels NONE = new RouteLabels("", "", "", "", "", null);

    /** Per route version; bounded (deleted routes linger until the cap, then it starts over). */
    static final class Cache {
        private static final int CAP = 100_000;
        private final RouteMemo<RouteLabels> byRoute = new RouteMemo<>(CAP, RouteLabels::compute);

        RouteLabels of(Route route) {
            return route == null ? NONE : byRoute.of(route);
        }
    }

    private static RouteLabels compute(Route r) {
        JsonObject d = r.definition() == null ? new JsonObject() : r.definition();
        String uri = d.getString("uri");
        if (uri == null) {
            uri = first(d.getValue("uris"));
        }
        String host = d.getString("host");
        if (host == null) {
            host = first(d.getValue("hosts"));
        }
        String aiNode = null;
        JsonObject plugins = d.getJsonObject("plugins");
        if (plugins != null && plugins.getValue("ai-proxy") instanceof JsonObject ai && ai.getString("provider") != null) {
            aiNode = "ai-proxy-" + ai.getString("provider");
        }
        return new RouteLabels(r.id(), r.name() != null ? r.name() : "", uri == null ? "" : uri,
                host == null ? "" : host, d.getValue("service_id") == null ? "" : String.valueOf(d.getValue("service_id")),
                aiNode);
    }

    private static String first(Object v) {
        return v instanceof JsonArray a && !a.isEmpty() && a.getValue(0) instanceof String s ? s : null;
    }
}
