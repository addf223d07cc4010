package dev.aigw.plugins;

import dev.aigw.gateway.plugin.Plugin;
import io.vertx.core.json.JsonObject;

/**
 * A plugin a test adds beside the plugin under test, to watch the pipeline from one of its phases:
 * any JSON object configures it (kept as it is); the test overrides the phases it watches.
 */
public abstract class ProbePlugin implements Plugin<JsonObject> {

    private final String name;
    private final int priority;

    /** @param priority where it runs among the plugins under test (higher first) */
    protected ProbePlugin(String name, int priority) {
        this.name = name;
        this.priority = priority;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int priority() {
        return priority;
    }

    @Override
    public final String schema() {
        return "{\"type\":\"object\"}";
    }

    @Override
    public final JsonObject parseConfig(JsonObject conf) {
        return conf;
    }
}
