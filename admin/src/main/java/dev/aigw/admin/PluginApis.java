package dev.aigw.admin;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginAdminApi;
import dev.aigw.gateway.plugin.PluginRegistry;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Admin API paths enabled plugins serve themselves ({@link PluginAdminApi}), found once at start.
 * A plugin that claims a built-in resource name is ignored, so it can never shadow routes or upstreams.
 */
final class PluginApis {

    private final Map<String, PluginAdminApi> byResource = new HashMap<>();

    PluginApis(PluginRegistry plugins, Set<String> reserved) {
        for (Plugin<?> p : plugins.all()) {
            if (p instanceof PluginAdminApi api && !reserved.contains(api.adminResource())) {
                byResource.putIfAbsent(api.adminResource(), api);
            }
        }
    }

    /** The plugin serving this resource, or null. */
    PluginAdminApi get(String resource) {
        return byResource.get(resource);
    }
}
