package dev.aigw.gateway.plugin;

import io.vertx.core.Future;

import java.util.Map;

/**
 * Implemented by a {@link Plugin} that answers its own Admin API requests, as an APISIX plugin's
 * {@code api()} adds routes: the Admin API serves {@code /apisix/admin/<resource>[/<sub path>]}
 * for each enabled plugin implementing it, behind the same admin key and {@code allow_admin} checks
 * as every other admin path. The request-log plugin's spend report is one.
 *
 * <p>Called on the Admin API's event loop: the handler must not block (database work goes to a
 * worker and completes the future).
 */
public interface PluginAdminApi {

    /** An Admin API answer: the status and a body Vert.x can encode as JSON (null for none). */
    record Reply(int status, Object body) {
    }

    /** The path segment after {@code /apisix/admin/} this plugin serves; must not be a resource kind. */
    String adminResource();

    /**
     * Handles one request.
     *
     * @param method  lower-case HTTP method
     * @param subPath the path after {@code /apisix/admin/<resource>/} (empty for the resource itself)
     * @param args    query arguments (first value of each)
     */
    Future<Reply> adminRequest(String method, String subPath, Map<String, String> args);
}
