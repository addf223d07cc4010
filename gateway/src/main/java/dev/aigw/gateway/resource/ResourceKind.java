package dev.aigw.gateway.resource;

import dev.aigw.gateway.schema.ResourceSchemas;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * One kind of stored resource, as APISIX's {@code apisix/admin/<kind>.lua} declares it: its name (the
 * store directory and the Admin API path segment), the word its messages use, its etcd key layout,
 * its schema check, the methods the Admin API refuses, and the references it holds to other kinds.
 *
 * <p>The Admin API and the route-table builder both read these descriptors: the Admin API for paths,
 * schema checks, reference checks on write ({@code failed to fetch upstream info by upstream id [x],
 * response code: 404}) and on delete ({@code can not delete this upstream, route [r] is still using
 * it now}); the builder for the key layout, the schema check of entries that reached the store another
 * way, and to know which routes a change concerns.
 *
 * <p>Immutable; the instances are the constants below.
 */
public final class ResourceKind {

    /**
     * A field of a resource that names another resource by id.
     *
     * @param owner  the kind holding the field
     * @param field  the field ({@code upstream_id})
     * @param target the kind it names
     */
    public record Reference(ResourceKind owner, String field, ResourceKind target) {
    }

    /** Which plugin schema applies to the {@code plugins} of a kind (APISIX's schema types). */
    public enum PluginScope {
        /** no {@code plugins} field */
        NONE,
        /** route, service, plugin config, consumer group, global rule: the plugin's schema */
        ROUTE,
        /** consumer and credential: the plugin's consumer schema (key-auth's {@code key}) */
        CONSUMER
    }

    private final String name;
    private final String label;
    private final Set<String> unsupportedMethods;
    private final boolean keyedByName;
    private final BiFunction<ResourceSchemas, JsonObject, String> schemaCheck;
    private final PluginScope pluginScope;
    private final String deleteRefused;
    private final List<Reference> references = new ArrayList<>();

    private ResourceKind(String name, String label, Set<String> unsupportedMethods, boolean keyedByName,
                         BiFunction<ResourceSchemas, JsonObject, String> schemaCheck, PluginScope pluginScope,
                         String deleteRefused) {
        this.name = name;
        this.label = label;
        this.unsupportedMethods = unsupportedMethods;
        this.keyedByName = keyedByName;
        this.schemaCheck = schemaCheck;
        this.pluginScope = pluginScope;
        this.deleteRefused = deleteRefused;
    }

    public static final ResourceKind UPSTREAMS = new ResourceKind("upstreams", "upstream", Set.of(), false,
            ResourceSchemas::validateUpstream, PluginScope.NONE, "can not delete this upstream");
    public static final ResourceKind SERVICES = new ResourceKind("services", "service", Set.of(), false,
            ResourceSchemas::validateService, PluginScope.ROUTE, "can not delete this service directly");
    public static final ResourceKind PLUGIN_CONFIGS = new ResourceKind("plugin_configs", "plugin config",
            Set.of("post"), false, ResourceSchemas::validatePluginConfig, PluginScope.ROUTE,
            "can not delete this plugin config");
    public static final ResourceKind ROUTES = new ResourceKind("routes", "route", Set.of(), false,
            ResourceSchemas::validateRoute, PluginScope.ROUTE, null);
    public static final ResourceKind CONSUMER_GROUPS = new ResourceKind("consumer_groups", "consumer group",
            Set.of("post"), false, ResourceSchemas::validateConsumerGroup, PluginScope.ROUTE,
            "can not delete this consumer group");
    public static final ResourceKind CONSUMERS = new ResourceKind("consumers", "consumer", Set.of("post", "patch"),
            false, ResourceSchemas::validateConsumer, PluginScope.CONSUMER, null);
    /** Stored under their consumer: {@code <prefix>/consumers/<username>/credentials/<id>}. */
    public static final ResourceKind CREDENTIALS = new ResourceKind("credentials", "credential",
            Set.of("post", "patch"), false, ResourceSchemas::validateCredential, PluginScope.CONSUMER, null);
    public static final ResourceKind GLOBAL_RULES = new ResourceKind("global_rules", "global rule", Set.of("post"),
            false, ResourceSchemas::validateGlobalRule, PluginScope.ROUTE, null);
    /** Keyed by plugin name; the fields are checked against the plugin's metadata schema. */
    public static final ResourceKind PLUGIN_METADATA = new ResourceKind("plugin_metadata", "plugin_metadata",
            Set.of("post", "patch"), true, ResourceSchemas::validatePluginMetadata, PluginScope.NONE, null);

    static {
        ROUTES.references.add(new Reference(ROUTES, "upstream_id", UPSTREAMS));
        ROUTES.references.add(new Reference(ROUTES, "service_id", SERVICES));
        ROUTES.references.add(new Reference(ROUTES, "plugin_config_id", PLUGIN_CONFIGS));
        SERVICES.references.add(new Reference(SERVICES, "upstream_id", UPSTREAMS));
        CONSUMERS.references.add(new Reference(CONSUMERS, "group_id", CONSUMER_GROUPS));
    }

    /** Every kind, referenced kinds before the kinds referencing them. */
    public static final List<ResourceKind> ALL = List.of(UPSTREAMS, SERVICES, PLUGIN_CONFIGS, ROUTES,
            CONSUMER_GROUPS, CONSUMERS, CREDENTIALS, GLOBAL_RULES, PLUGIN_METADATA);

    private static final Map<String, ResourceKind> BY_NAME;

    static {
        java.util.HashMap<String, ResourceKind> m = new java.util.HashMap<>();
        for (ResourceKind k : ALL) {
            m.put(k.name, k);
        }
        BY_NAME = Map.copyOf(m);
    }

    /** The kind with that name ({@code routes}), or null. */
    public static ResourceKind named(String name) {
        return BY_NAME.get(name);
    }

    /** The store directory and Admin API path segment: {@code routes}. */
    public String name() {
        return name;
    }

    /** The word APISIX's messages use: {@code route}, {@code plugin config}. */
    public String label() {
        return label;
    }

    /** Lower-case HTTP methods the Admin API answers 405 for. */
    public Set<String> unsupportedMethods() {
        return unsupportedMethods;
    }

    /** True when the id is a name taken from the path only (plugin metadata), never checked against the body. */
    public boolean keyedByName() {
        return keyedByName;
    }

    /** Which plugin schema applies to this kind's {@code plugins}. */
    public PluginScope pluginScope() {
        return pluginScope;
    }

    /** The references this kind holds (a route's {@code upstream_id}, {@code service_id} …). */
    public List<Reference> references() {
        return List.copyOf(references);
    }

    /** The references other kinds hold to this one (who may block its deletion). */
    public List<Reference> referencedBy() {
        List<Reference> out = new ArrayList<>();
        for (ResourceKind k : ALL) {
            for (Reference r : k.references) {
                if (r.target == this) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** APISIX's message when a delete is refused because {@code user} (of kind {@code by}) still uses it. */
    public String inUseMessage(ResourceKind by, String user) {
        return (deleteRefused == null ? "can not delete this " + label : deleteRefused) + ", " + by.label
                + " [" + user + "] is still using it now";
    }

    /** APISIX's message when a referenced resource of this kind does not exist. */
    public String missingMessage(String id) {
        return "failed to fetch " + label + " info by " + label + " id [" + id + "], response code: 404";
    }

    /** Checks a document of this kind against its schema (and the checks APISIX runs with it); null when valid. */
    public String validate(ResourceSchemas schemas, JsonObject doc) {
        return schemaCheck.apply(schemas, doc);
    }

    /** The store directory of this kind with a trailing slash: {@code /apisix/routes/}. */
    public String dir(String prefix) {
        return prefix + "/" + name + "/";
    }

    /** The store key of one entry; a credential's id is {@code <username>/credentials/<id>} relative to consumers. */
    public String key(String prefix, String id) {
        if (this == CREDENTIALS) {
            return CONSUMERS.dir(prefix) + id;
        }
        return dir(prefix) + id;
    }

    /** The store key of a credential. */
    public static String credentialKey(String prefix, String username, String id) {
        return CONSUMERS.dir(prefix) + username + "/credentials/" + id;
    }

    /**
     * A store key taken apart.
     *
     * @param kind   its kind
     * @param id     the entry's id (a credential's own id)
     * @param parent the consumer's username for a credential, else null
     */
    public record Located(ResourceKind kind, String id, String parent) {
    }

    /**
     * Takes a store key apart ({@code /apisix/routes/1}, {@code /apisix/consumers/jack/credentials/c1});
     * null for a key that is no entry of a known kind (a directory marker, {@code /apisix/gen_id},
     * another kind's sub-entries).
     *
     * @param prefixSlash the store prefix with a trailing slash ({@code /apisix/})
     */
    public static Located locate(String prefixSlash, String key) {
        String name = kindSegment(prefixSlash, key);
        ResourceKind kind = name == null ? null : BY_NAME.get(name);
        if (kind == null || kind == CREDENTIALS) {
            return null;
        }
        String rest = key.substring(prefixSlash.length() + name.length() + 1);
        int inner = rest.indexOf('/');
        if (inner < 0) {
            return new Located(kind, rest, null);
        }
        // APISIX's consumer watch recognises credentials by segment: consumers/<u>/credentials/<id>
        if (kind == CONSUMERS && rest.startsWith("credentials/", inner + 1)) {
            String id = rest.substring(inner + 1 + "credentials/".length());
            if (!id.isEmpty() && id.indexOf('/') < 0) {
                return new Located(CREDENTIALS, id, rest.substring(0, inner));
            }
        }
        return null;
    }

    /**
     * The kind directory of a store key that names an entry below one ({@code routes} in
     * {@code /apisix/routes/1}, {@code ssls} in {@code /apisix/ssls/1}), known to aigw or not; null
     * for a key outside the prefix, a directory marker or a key directly under the prefix.
     */
    public static String kindSegment(String prefixSlash, String key) {
        if (!key.startsWith(prefixSlash)) {
            return null;
        }
        int slash = key.indexOf('/', prefixSlash.length());
        if (slash <= prefixSlash.length() || slash == key.length() - 1) {
            return null;
        }
        return key.substring(prefixSlash.length(), slash);
    }

    @Override
    public String toString() {
        return name;
    }
}
