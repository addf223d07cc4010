package dev.aigw.gateway.plugin;

import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.metrics.MetricsRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * What the gateway offers a plugin at {@link Plugin#init}: the shared Vert.x instance, the merged
 * configuration, the variable registry (to add variables such as {@code llm_model}), the prefix
 * directory, the current plugin metadata and the metrics registry.
 */
public interface PluginEnv {

    Vertx vertx();

    /** The whole merged configuration (config-default.yaml with config.yaml over it). */
    JsonObject config();

    /**
     * The plugin's attributes, {@code plugin_attr.<pluginName>} of {@link #config()}: a copy (changing
     * it changes nothing), empty when absent. The one way to read them, so that a malformed
     * {@code plugin_attr} is refused the same way for every plugin.
     *
     * @throws dev.aigw.gateway.conf.ConfigException naming the key when {@code plugin_attr} or
     *         {@code plugin_attr.<pluginName>} is not a mapping (thrown from {@link Plugin#init}, it
     *         stops the start with that one message)
     */
    default JsonObject pluginAttr(String pluginName) {
        return GatewayConfig.pluginAttr(config(), pluginName);
    }

    /** Registry of the variables usable in {@code vars}, the access log and loggers. */
    VariableRegistry variables();

    /** The prefix directory (holds conf/ and logs/). */
    Path prefix();

    /**
     * The current metadata of a plugin ({@code <prefix>/plugin_metadata/<name>}), or null. Reads the
     * last route-table snapshot: cheap, safe on the event loop.
     */
    JsonObject pluginMetadata(String pluginName);

    /**
     * The gateway's metrics registry: a plugin creates its metrics here once (in {@link Plugin#init})
     * and records on them per request (lock-free, label sets capped). What is exposed, and where, is
     * the {@code prometheus} plugin's business.
     */
    MetricsRegistry metrics();

    /**
     * Shared resources (Redis clients, pools) by canonical configuration key: acquire on first use of
     * a configuration, release in {@link Plugin#release}.
     */
    dev.aigw.gateway.resource.SharedResources shared();
}
