package dev.aigw.gateway.route;

import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.consumer.Consumers;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * What the data plane reads per request, swapped whole on every change.
 *
 * @param table          the routes
 * @param pluginMetadata plugin name → metadata JSON
 * @param revision       the store revision it was built from
 * @param globalPlugins  the global rules' plugins, higher priority first: what runs for a request no
 *                       route matched (its log phase, so that the 404 is counted and logged, as APISIX)
 * @param consumers      consumers, credentials and groups, with the auth-key index
 */
public record RuntimeConfig(RouteTable table, Map<String, JsonObject> pluginMetadata, long revision,
                            List<PluginBinding<?>> globalPlugins, Consumers consumers) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(RouteTable.EMPTY, Map.of(), 0);

    /** Without global plugins and consumers. */
    public RuntimeConfig(RouteTable table, Map<String, JsonObject> pluginMetadata, long revision) {
        this(table, pluginMetadata, revision, List.of(), Consumers.EMPTY);
    }
}
