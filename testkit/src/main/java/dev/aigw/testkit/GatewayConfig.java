package dev.aigw.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builder for the {@code conf/config.yaml} a test gives the gateway, in APISIX's keys:
 * <pre>
 * apisix:     node_listen: [{ip: 127.0.0.1, port: PORT}]
 * deployment: role: traditional, role_traditional.config_provider: builtin|etcd,
 *             admin: {admin_key: [{name: admin, key: KEY, role: admin}], allow_admin: [127.0.0.0/24],
 *                     admin_listen: {ip: 127.0.0.1, port: PORT}},
 *             etcd:  {host: [URL], prefix: /apisix}              (only with the etcd store)
 * plugins:    [...]                                              (only if set)
 * </pre>
 * Anything else goes through {@link #set(String, Object)} (deep-merged, wins over the above) or
 * {@link #rawYaml(String)} (appended verbatim; it must not repeat a top-level key written here).
 * Ports default to free ones picked at construction.
 */
public final class GatewayConfig {

    /** APISIX's well-known test admin key. */
    public static final String DEFAULT_ADMIN_KEY = "edd1c9f034335f136f87ad84b625c8f1";

    private int nodePort = Ports.free();
    private int adminPort = Ports.free();
    private int metricsPort = Ports.free();
    private String adminKey = DEFAULT_ADMIN_KEY;
    private String configProvider = "builtin";
    private final List<String> etcdHosts = new ArrayList<>();
    private String etcdPrefix = "/apisix";
    private List<String> plugins;
    private final Map<String, Object> overrides = new LinkedHashMap<>();
    private final StringBuilder raw = new StringBuilder();

    /** A config with free ports, the default admin key and the built-in store. */
    public static GatewayConfig create() {
        return new GatewayConfig();
    }

    public GatewayConfig nodePort(int port) {
        this.nodePort = port;
        return this;
    }

    public GatewayConfig adminPort(int port) {
        this.adminPort = port;
        return this;
    }

    public GatewayConfig adminKey(String key) {
        this.adminKey = key;
        return this;
    }

    /** Routes in the built-in file store ({@code config_provider: builtin}). */
    public GatewayConfig builtinStore() {
        this.configProvider = "builtin";
        this.etcdHosts.clear();
        return this;
    }

    /** Routes in etcd ({@code config_provider: etcd}) at these endpoints, e.g. {@code http://127.0.0.1:2379}. */
    public GatewayConfig etcd(String... endpoints) {
        this.configProvider = "etcd";
        this.etcdHosts.clear();
        this.etcdHosts.addAll(List.of(endpoints));
        return this;
    }

    /** The etcd key prefix (default {@code /apisix}). */
    public GatewayConfig etcdPrefix(String prefix) {
        this.etcdPrefix = prefix;
        return this;
    }

    /** The {@code plugins} list (not written at all unless set: the gateway's default list applies). */
    public GatewayConfig plugins(String... names) {
        this.plugins = List.of(names);
        return this;
    }

    /**
     * Sets a value at a dotted path, e.g. {@code set("nginx_config.http.access_log_format", "...")};
     * maps are deep-merged, anything else replaces. Wins over the builder's own keys.
     */
    public GatewayConfig set(String dottedPath, Object value) {
        String[] keys = dottedPath.split("\\.");
        Map<String, Object> node = overrides;
        for (int i = 0; i < keys.length - 1; i++) {
            node = child(node, keys[i]);
        }
        merge(node, keys[keys.length - 1], value);
        return this;
    }

    /** Appends raw YAML text to the document (for top-level keys the builder does not write). */
    public GatewayConfig rawYaml(String yaml) {
        raw.append(yaml.endsWith("\n") ? yaml : yaml + "\n");
        return this;
    }

    public int nodePort() {
        return nodePort;
    }

    /** The prometheus export server's port ({@code plugin_attr.prometheus.export_addr.port}). */
    public int metricsPort() {
        return metricsPort;
    }

    public GatewayConfig metricsPort(int port) {
        this.metricsPort = port;
        return this;
    }

    public int adminPort() {
        return adminPort;
    }

    public String adminKey() {
        return adminKey;
    }

    /** {@code builtin} or {@code etcd}. */
    public String configProvider() {
        return configProvider;
    }

    /** The config as a nested map (before the raw YAML). */
    public Map<String, Object> toMap() {
        Map<String, Object> root = new LinkedHashMap<>();
        // loopback only: tests never listen on other addresses
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("ip", "127.0.0.1");
        node.put("port", nodePort);
        child(root, "apisix").put("node_listen", List.of(node));

        Map<String, Object> deployment = child(root, "deployment");
        deployment.put("role", "traditional");
        child(deployment, "role_traditional").put("config_provider", configProvider);
        Map<String, Object> admin = child(deployment, "admin");
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("name", "admin");
        key.put("key", adminKey);
        key.put("role", "admin");
        admin.put("admin_key", List.of(key));
        admin.put("allow_admin", List.of("127.0.0.0/24"));
        Map<String, Object> listen = child(admin, "admin_listen");
        listen.put("ip", "127.0.0.1");
        listen.put("port", adminPort);
        // a free port for the metrics too: parallel gateways must not fight over 9091
        Map<String, Object> export = child(child(child(root, "plugin_attr"), "prometheus"), "export_addr");
        export.put("ip", "127.0.0.1");
        export.put("port", metricsPort);
        if ("etcd".equals(configProvider)) {
            Map<String, Object> etcd = child(deployment, "etcd");
            etcd.put("host", List.copyOf(etcdHosts));
            etcd.put("prefix", etcdPrefix);
        }
        if (plugins != null) {
            root.put("plugins", plugins);
        }
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            merge(root, e.getKey(), e.getValue());
        }
        return root;
    }

    /** The {@code config.yaml} text. */
    public String toYaml() {
        return Yaml.write(toMap()) + raw;
    }

    @Override
    public String toString() {
        return toYaml();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> parent, String key) {
        Object existing = parent.get(key);
        if (existing instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        parent.put(key, created);
        return created;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> target, String key, Object value) {
        if (value instanceof Map<?, ?> m && target.get(key) instanceof Map<?, ?>) {
            Map<String, Object> dst = child(target, key);
            for (Map.Entry<?, ?> e : m.entrySet()) {
                merge(dst, String.valueOf(e.getKey()), e.getValue());
            }
        } else if (value instanceof Map<?, ?> m) {
            // Copy, so later merges never write into the caller's map.
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<String, Object>) m).entrySet()) {
                merge(copy, String.valueOf(e.getKey()), e.getValue());
            }
            target.put(key, copy);
        } else {
            target.put(key, value);
        }
    }
}
