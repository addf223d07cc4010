package dev.aigw.gateway.plugin;

import dev.aigw.gateway.schema.JsonSchema;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The plugins known to this gateway: discovered with {@link ServiceLoader}, kept when listed in the
 * {@code plugins} configuration key, each with its schema compiled once.
 *
 * <p>The Admin API and the route builder validate plugin configuration through the same
 * {@link #bind} call, so what the Admin API accepts is exactly what the data plane can run.
 */
public final class PluginRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(PluginRegistry.class);

    private record Entry(Plugin<?> plugin, JsonSchema schema, JsonSchema metadataSchema, JsonSchema consumerSchema) {
    }

    private final Map<String, Entry> plugins;

    private PluginRegistry(Map<String, Entry> plugins) {
        this.plugins = plugins;
    }

    /**
     * Discovers plugins on the class path and keeps the enabled ones, in the order of priority.
     *
     * @param enabled plugin names from the {@code plugins} configuration key; null enables all found
     */
    public static PluginRegistry load(Collection<String> enabled, ClassLoader loader) {
        List<Plugin<?>> found = new ArrayList<>();
        for (Plugin<?> p : ServiceLoader.load(Plugin.class, loader)) {
            found.add(p);
        }
        return of(found, enabled);
    }

    /** A registry over the given plugin instances (for tests and embedding). */
    public static PluginRegistry of(List<Plugin<?>> found, Collection<String> enabled) {
        List<Plugin<?>> sorted = new ArrayList<>(found);
        sorted.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        Map<String, Entry> map = new LinkedHashMap<>();
        for (Plugin<?> p : sorted) {
            if (enabled != null && !enabled.contains(p.name())) {
                continue;
            }
            String meta = p.metadataSchema();
            String consumer = p.consumerSchema();
            map.put(p.name(), new Entry(p, JsonSchema.compile(p.schema()),
                    meta == null ? null : JsonSchema.compile(meta),
                    consumer == null ? null : JsonSchema.compile(consumer)));
        }
        if (enabled != null) {
            for (String name : enabled) {
                if (!map.containsKey(name)) {
                    LOG.warn("plugin {} is enabled in the configuration but not found", name);
                }
            }
        }
        return new PluginRegistry(Collections.unmodifiableMap(map));
    }

    /** The enabled plugin with that name, or null. */
    public Plugin<?> get(String name) {
        Entry e = plugins.get(name);
        return e == null ? null : e.plugin;
    }

    /** The enabled plugins, higher priority first. */
    public List<Plugin<?>> all() {
        List<Plugin<?>> out = new ArrayList<>(plugins.size());
        for (Entry e : plugins.values()) {
            out.add(e.plugin);
        }
        return out;
    }

    /** The enabled plugin names, higher priority first. */
    public List<String> names() {
        return List.copyOf(plugins.keySet());
    }

    /**
     * Validates one plugin configuration against the plugin's schema and {@link Plugin#parseConfig}
     * and returns the parsed binding. The exception message is APISIX's
     * ({@code unknown plugin [x]} or {@code failed to check the configuration of plugin x err: …}).
     */
    public PluginBinding<?> bind(String name, JsonObject conf) throws PluginConfigException {
        Entry e = plugins.get(name);
        if (e == null) {
            throw new PluginConfigException("unknown plugin [" + name + "]");
        }
        String err = e.schema.validate(conf == null ? new JsonObject() : conf);
        if (err != null) {
            throw new PluginConfigException("failed to check the configuration of plugin " + name + " err: " + err);
        }
        try {
            return bindParsed(e.plugin, conf == null ? new JsonObject() : conf);
        } catch (PluginConfigException ex) {
            throw new PluginConfigException("failed to check the configuration of plugin " + name + " err: " + ex.getMessage());
        } catch (RuntimeException ex) {
            throw new PluginConfigException("failed to check the configuration of plugin " + name + " err: " + ex);
        }
    }

    private static <C> PluginBinding<C> bindParsed(Plugin<C> plugin, JsonObject conf) throws PluginConfigException {
        return new PluginBinding<>(plugin, plugin.parseConfig(conf));
    }

    /** Validates plugin metadata; null when valid, else APISIX's error message. */
    public String validateMetadata(String name, JsonObject metadata) {
        Entry e = plugins.get(name);
        if (e == null) {
            return "unknown plugin [" + name + "]";
        }
        if (e.metadataSchema == null) {
            return "no metadata schema for plugin " + name;
        }
        String err = e.metadataSchema.validate(metadata);
        return err == null ? null : "invalid configuration: " + err;
    }

    /** True for an enabled authentication plugin (one with a {@link Plugin#consumerSchema()}). */
    public boolean isAuth(String name) {
        Entry e = plugins.get(name);
        return e != null && e.consumerSchema != null;
    }

    /**
     * Validates an auth plugin's configuration on a consumer or credential against its consumer
     * schema; null when valid, else APISIX's message
     * ({@code failed to check the configuration of plugin key-auth err: …}).
     */
    public String validateConsumer(String name, JsonObject conf) {
        try {
            parseConsumer(name, conf);
            return null;
        } catch (PluginConfigException e) {
            return e.getMessage();
        }
    }

    /**
     * Validates an auth plugin's consumer configuration as {@link #validateConsumer} does, then
     * returns what {@link Plugin#parseConsumerConfig} makes of it (null for a plugin that parses
     * none). The exception's message is the one {@link #validateConsumer} returns.
     */
    public Object parseConsumer(String name, JsonObject conf) throws PluginConfigException {
        Entry e = plugins.get(name);
        if (e == null) {
            throw new PluginConfigException("unknown plugin [" + name + "]");
        }
        if (e.consumerSchema == null) {
            throw new PluginConfigException("plugin " + name + " is not an auth plugin");
        }
        JsonObject c = conf == null ? new JsonObject() : conf;
        String err = e.consumerSchema.validate(c);
        String prefix = "failed to check the configuration of plugin " + name + " err: ";
        if (err != null) {
            throw new PluginConfigException(prefix + err);
        }
        try {
            return e.plugin.parseConsumerConfig(c);
        } catch (PluginConfigException ex) {
            throw new PluginConfigException(prefix + ex.getMessage());
        }
    }

    /** The plugin's config schema as JSON text, or null for an unknown plugin. */
    public String schemaOf(String name) {
        Entry e = plugins.get(name);
        return e == null ? null : e.plugin.schema();
    }
}
