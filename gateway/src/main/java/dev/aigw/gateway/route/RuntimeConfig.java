package dev.aigw.gateway.route;

import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Everything the data plane reads per request, built together from one store snapshot and swapped
 * in with one reference write: the route table and the plugin metadata.
 *
 * @param table          the routes
 * @param pluginMetadata plugin name → metadata JSON
 * @param revision       the store revision it was built from
 */
public record RuntimeConfig(RouteTable table, Map<String, JsonObject> pluginMetadata, long revision) {

    public static final RuntimeConfig EMPTY = new RuntimeConfig(RouteTable.EMPTY, Map.of(), 0);
}
