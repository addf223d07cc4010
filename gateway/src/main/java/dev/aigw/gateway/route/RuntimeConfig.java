package dev.aigw.gateway.route;

import dev.aigw.gateway.consumer.Consumers;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Everything the data plane reads per request, built together from one store snapshot and swapped
 * in with one reference write: the route table, the plugin metadata and the consumers.
 *
 * @param table          the routes
 * @param pluginMetadata plugin name → metadata JSON
 * @param revision       the store revision it was built from
 * @param consumers      consumers, credentials and groups, with the auth-key index
 */
public record RuntimeConfig(RouteTable table, Map<String, JsonObject> pluginMetadata, long revision,
                            Consumers consumers) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(RouteTable.EMPTY, Map.of(), 0, Consumers.EMPTY);

    /** A configuration without consumers. */
    public RuntimeConfig(RouteTable table, Map<String, JsonObject> pluginMetadata, long revision) {
        this(table, pluginMetadata, revision, Consumers.EMPTY);
    }
}
