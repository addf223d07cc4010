package dev.aigw.gateway.route;

import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * One route of the immutable route table, built once per configuration change.
 *
 * @param id         the route id (the last segment of its store key)
 * @param name       the route's {@code name}, or null
 * @param definition the stored route JSON (validated); matching fields are compiled from it by {@link RouteTable}
 * @param plugins    the route's plugins, parsed, sorted by priority (higher first)
 * @param upstream   the route's HTTP upstream ({@code upstream} or {@code upstream_id}), or null
 *                   when a plugin such as ai-proxy provides it
 * @param revision   the store revision at which this definition was last modified
 */
public record Route(String id, String name, JsonObject definition, List<PluginBinding<?>> plugins,
                    UpstreamHandler upstream, long revision) {
}
