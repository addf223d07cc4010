package dev.aigw.gateway.conf;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.aigw.gateway.net.Cidr;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's configuration, read once at start.
 *
 * <p>Sources, as APISIX: the defaults ({@code <prefix>/conf/config-default.yaml}, or the copy bundled
 * in the jar as {@code /config-default.yaml} when the prefix has none) deep-merged with the user file
 * ({@code <prefix>/conf/config.yaml}, or the file given with {@code -c}). Merge rules (APISIX's
 * {@code merge_conf}): mappings merge key by key, lists and scalars replace, and an explicit
 * {@code null} in the user file removes the default. String values of the user file may use
 * {@code ${{VAR}}} or {@code ${{VAR:=default}}} to read environment variables.
 *
 * <p>The keys the gateway core uses are validated here and exposed as typed accessors; everything
 * else (e.g. {@code nginx_config.http.access_log*}, plugin attributes) is available from
 * {@link #raw()}. Any problem is a {@link ConfigException} with one message naming the file or key.
 *
 * <p>aigw's own keys (not in APISIX): {@code deployment.role_traditional.config_provider: builtin}
 * (the default; the built-in file store) and {@code apisix.graceful_shutdown_timeout} (seconds the
 * gateway waits for in-flight requests when stopping).
 */
public final class GatewayConfig {

    /** Relative to the prefix: the shipped defaults. */
    public static final String DEFAULT_FILE = "conf/config-default.yaml";
    /** Relative to the prefix: the user's overrides, unless {@code -c} names another file. */
    public static final String USER_FILE = "conf/config.yaml";
    /** The classpath copy of the defaults, used when the prefix has no conf/config-default.yaml. */
    public static final String BUNDLED_DEFAULTS = "/config-default.yaml";

    private static final Pattern ENV_VAR = Pattern.compile("\\$\\{\\{\\s*(\\w+)(?::=(.*?))?\\s*}}");
    private static final Pattern SIZE = Pattern.compile("^(\\d+)([kKmMgG]?)$");
    private static final Pattern URL = Pattern.compile("^https?://\\S+$");
    private static final Set<String> ROLES = Set.of("admin", "viewer");
    private static final Set<String> ESCAPES = Set.of("default", "json");
    private static final Pattern TIME = Pattern.compile("^(\\d+)(ms|s|m|h|d)?$");
    /** Each is an event loop thread with its own buffers: more than a machine has cores buys nothing. */
    static final int MAX_WORKER_PROCESSES = 256;

    /**
     * Top-level keys APISIX's config.yaml knows; any other is reported by {@link #warnings()} (a typo such
     * as {@code deployement:} would otherwise be ignored without a word).
     */
    private static final Set<String> TOP_LEVEL_KEYS = Set.of("apisix", "nginx_config", "deployment", "plugins",
            "plugin_attr", "stream_plugins", "graphql", "discovery", "wasm", "ext-plugin", "xrpc");

    private final Path prefix;
    private final JsonObject raw;
    private final List<Listen> nodeListen;
    private final boolean enableAdmin;
    private final boolean adminKeyRequired;
    private final List<AdminKey> adminKeys;
    private final boolean adminKeyGenerated;
    private final Listen adminListen;
    private final List<Cidr> allowAdmin;
    private final ConfigProvider configProvider;
    private final EtcdConf etcd;
    private final List<String> plugins;
    private final long clientMaxBodySize;
    private final long requestBodyBufferBudget;
    private final long maxPostArgsReadableSize;
    private final int webSocketMaxMessageSize;
    private final Duration gracefulShutdownTimeout;
    private final int workerProcesses;
    private final HttpTimeouts httpTimeouts;
    private final List<String> warnings = new ArrayList<>();

    /**
     * Loads and validates the configuration.
     *
     * @param prefix     the installation directory (holds {@code conf/}, {@code logs/}, {@code data/})
     * @param userConfig the file given with {@code -c}, or null for {@code <prefix>/conf/config.yaml}.
     *                   A missing default user file means "defaults only"; a missing {@code -c} file
     *                   is an error (the operator named it, so a typo must not go unnoticed).
     * @throws ConfigException with one operator-readable message
     */
    public static GatewayConfig load(Path prefix, Path userConfig) {
        return load(prefix, userConfig, System::getenv);
    }

    /** As {@link #load(Path, Path)}, reading environment variables through {@code env} (for tests). */
    static GatewayConfig load(Path prefix, Path userConfig, Function<String, String> env) {
        Path absPrefix = prefix.toAbsolutePath().normalize();
        JsonObject merged = readDefaults(absPrefix);
        Path user = userConfig != null ? userConfig : absPrefix.resolve(USER_FILE);
        if (Files.exists(user)) {
            JsonObject overrides = parseYaml(read(user), user.toString());
            substituteEnv(overrides, "", env);
            merge(merged, overrides);
        } else if (userConfig != null) {
            throw new ConfigException("invalid configuration: config file not found: " + userConfig);
        }
        return new GatewayConfig(absPrefix, merged);
    }

    private GatewayConfig(Path prefix, JsonObject raw) {
        this.prefix = prefix;
        this.raw = raw;
        List<String> unknown = raw.fieldNames().stream().filter(k -> !TOP_LEVEL_KEYS.contains(k)).sorted().toList();
        if (!unknown.isEmpty()) {
            warnings.add("unknown top-level configuration key" + (unknown.size() == 1 ? " " : "s ")
                    + String.join(", ", unknown) + " (ignored; known: " + String.join(", ", TOP_LEVEL_KEYS.stream().sorted().toList()) + ")");
        }
        boolean http2 = bool(raw, "apisix.enable_http2", false);
        this.nodeListen = parseNodeListen(value(raw, "apisix.node_listen"), http2);
        this.enableAdmin = bool(raw, "apisix.enable_admin", true);
        this.adminKeyRequired = bool(raw, "deployment.admin.admin_key_required", true);
        this.adminListen = parseAdminListen();
        if (enableAdmin) {
            for (int i = 0; i < nodeListen.size(); i++) {
                if (nodeListen.get(i).overlaps(adminListen)) {
                    throw invalid("deployment.admin.admin_listen " + adminListen + " conflicts with apisix.node_listen"
                            + (nodeListen.size() == 1 ? "" : "[" + i + "]") + " " + nodeListen.get(i)
                            + ": the Admin API and the data plane need different ports");
                }
            }
        }
        this.httpTimeouts = new HttpTimeouts(
                duration("nginx_config.http.client_header_timeout", HttpTimeouts.DEFAULTS.clientHeader(), true),
                duration("nginx_config.http.keepalive_timeout", HttpTimeouts.DEFAULTS.keepalive(), false));
        this.allowAdmin = parseAllowAdmin();
        String role = string(raw, "deployment.role", "traditional");
        if (!"traditional".equals(role)) {
            throw invalid("deployment.role must be traditional (got \"" + role + "\")");
        }
        this.configProvider = parseProvider();
        this.etcd = parseEtcd();
        this.plugins = stringList(raw, "plugins");
        this.clientMaxBodySize = parseSize("nginx_config.http.client_max_body_size");
        Object budget = value(raw, "apisix.request_body_buffer_budget");
        // an eighth of the heap: on the AI path each buffered byte costs about three more (the parsed
        // JSON's strings, the body sent upstream, a logger's copy)
        this.requestBodyBufferBudget = budget == null || "auto".equals(budget)
                ? Runtime.getRuntime().maxMemory() / 8 : parseSize("apisix.request_body_buffer_budget");
        Object postArgs = value(raw, "apisix.max_post_args_readable_size");
        // APISIX's unit: MiB, 64 by default, 0 = no cap of its own
        this.maxPostArgsReadableSize = (postArgs == null ? 64
                : integer("apisix.max_post_args_readable_size", postArgs, 0)) * 1024 * 1024;
        long wsMax = value(raw, "apisix.websocket.max_message_size") == null ? 1L << 20
                : parseSize("apisix.websocket.max_message_size");
        if (wsMax < 1 || wsMax > Integer.MAX_VALUE - 1) {
            throw invalid("apisix.websocket.max_message_size must be between 1 and 2047m (got "
                    + value(raw, "apisix.websocket.max_message_size") + ")");
        }
        this.webSocketMaxMessageSize = (int) wsMax;
        Object workers = value(raw, "nginx_config.worker_processes");
        // APISIX's default, "auto": one per core this process may run on (taskset and cgroup
        // limits included, as the JVM counts them)
        if (workers == null || "auto".equals(workers)) {
            this.workerProcesses = Runtime.getRuntime().availableProcessors();
        } else if (isInteger(workers) && ((Number) workers).longValue() >= 1
                && ((Number) workers).longValue() <= MAX_WORKER_PROCESSES) {
            this.workerProcesses = ((Number) workers).intValue();
        } else {
            throw invalid("nginx_config.worker_processes must be auto or an integer from 1 to "
                    + MAX_WORKER_PROCESSES + " (got " + workers + ")");
        }
        Object grace = value(raw, "apisix.graceful_shutdown_timeout");
        long graceSeconds = grace == null ? 10 : integer("apisix.graceful_shutdown_timeout", grace, 0);
        this.gracefulShutdownTimeout = Duration.ofSeconds(graceSeconds);
        validateAccessLog();
        validatePluginAttr();
        // Last: it may write a generated key back into raw, so raw and adminKeys() agree.
        List<AdminKey> keys = parseAdminKeys();
        boolean generated = false;
        if (adminKeyRequired) {
            if (keys.isEmpty()) {
                keys = List.of(new AdminKey("admin", randomKey(), "admin"));
                generated = true;
            } else {
                List<AdminKey> filled = new ArrayList<>();
                for (AdminKey k : keys) {
                    if (k.key().isEmpty()) {
                        filled.add(new AdminKey(k.name(), randomKey(), k.role()));
                        generated = true;
                    } else {
                        filled.add(k);
                    }
                }
                keys = List.copyOf(filled);
            }
            if (generated) {
                JsonArray arr = new JsonArray();
                keys.forEach(k -> arr.add(new JsonObject().put("name", k.name()).put("key", k.key()).put("role", k.role())));
                object(raw, "deployment.admin").put("admin_key", arr);
            }
        } else {
            // without a required key an empty one means "no key", never "the empty string matches"
            keys = keys.stream().filter(k -> !k.key().isEmpty()).toList();
        }
        this.adminKeys = keys;
        this.adminKeyGenerated = generated;
    }

    // ---------------------------------------------------------------- accessors

    /**
     * {@code plugin_attr.<pluginName>}: a copy of the mapping (changing it changes nothing), empty
     * when the key is absent or has no value.
     *
     * @throws ConfigException naming the key when {@code plugin_attr} or {@code plugin_attr.<pluginName>}
     *                         is not a mapping (a loaded configuration has been checked already)
     */
    public JsonObject pluginAttr(String pluginName) {
        return pluginAttr(raw, pluginName);
    }

    /**
     * {@code plugin_attr.<pluginName>} of a merged configuration, as {@link #pluginAttr(String)}; for
     * the holders of a configuration object ({@code PluginEnv}).
     */
    public static JsonObject pluginAttr(JsonObject config, String pluginName) {
        Object all = config.getValue("plugin_attr");
        if (all == null) {
            return new JsonObject();
        }
        if (!(all instanceof JsonObject attrs)) {
            throw invalid("plugin_attr must be a mapping (got " + kind(all) + ")");
        }
        Object one = attrs.getValue(pluginName);
        if (one == null) {
            return new JsonObject();
        }
        if (!(one instanceof JsonObject attr)) {
            throw invalid("plugin_attr." + pluginName + " must be a mapping (got " + kind(one) + ")");
        }
        return attr.copy();
    }

    /**
     * The integer {@code key} of a plugin's attributes (as {@link #pluginAttr} gives them, or a mapping
     * below them), {@code def} when absent.
     *
     * @param attrPath where {@code attr} stands below {@code plugin_attr}, for the message: the plugin's
     *                 name ({@code ai-cache}) or a path below it ({@code prometheus.metrics.http_status})
     * @throws ConfigException {@code invalid configuration: plugin_attr.<attrPath>.<key> must be an
     *                         integer >= <min>: <value>} for anything else (a string, a fraction, less)
     */
    public static long pluginAttrInteger(JsonObject attr, String attrPath, String key, long def, long min) {
        Object v = attr.getValue(key);
        if (v == null) {
            return def;
        }
        if (!isInteger(v) || ((Number) v).longValue() < min) {
            throw invalid("plugin_attr." + attrPath + "." + key + " must be an integer >= " + min + ": " + v);
        }
        return ((Number) v).longValue();
    }

    /** The installation directory, absolute. */
    public Path prefix() {
        return prefix;
    }

    /** The whole merged configuration (a copy: changing it changes nothing). */
    public JsonObject raw() {
        return raw.copy();
    }

    /** {@code apisix.node_listen}: where the data plane listens (default {@code 0.0.0.0:9080}). */
    public List<Listen> nodeListen() {
        return nodeListen;
    }

    /** {@code apisix.enable_admin}: whether the Admin API runs in this process. */
    public boolean enableAdmin() {
        return enableAdmin;
    }

    /** {@code deployment.admin.admin_key_required} (default true): the Admin API demands X-API-KEY. */
    public boolean adminKeyRequired() {
        return adminKeyRequired;
    }

    /**
     * {@code deployment.admin.admin_key}. When a key is required and none is configured, or one is
     * empty, a random 32-hex-character key is generated in its place (see {@link #adminKeyGenerated()}).
     */
    public List<AdminKey> adminKeys() {
        return adminKeys;
    }

    /**
     * True when {@link #adminKeys()} holds a key generated at this start. The generated key is not
     * written back to config.yaml, so it changes at every start; Bootstrap prints it once so the
     * operator can use the Admin API.
     */
    public boolean adminKeyGenerated() {
        return adminKeyGenerated;
    }

    /** {@code deployment.admin.admin_listen} (default {@code 0.0.0.0:9180}). */
    public Listen adminListen() {
        return adminListen;
    }

    /** {@code deployment.admin.allow_admin}: clients allowed on the Admin API; empty means any. */
    public List<Cidr> allowAdmin() {
        return allowAdmin;
    }

    /** {@code deployment.role_traditional.config_provider}: {@code builtin} (default) or {@code etcd}. */
    public ConfigProvider configProvider() {
        return configProvider;
    }

    /** True when routes live in etcd rather than in the built-in store. */
    public boolean usesEtcd() {
        return configProvider == ConfigProvider.ETCD;
    }

    /** {@code deployment.etcd}. Its {@code prefix} is the key prefix of whichever store is used. */
    public EtcdConf etcd() {
        return etcd;
    }

    /** {@code plugins}: the plugin names enabled on this node (unknown names are warned about by the registry). */
    public List<String> plugins() {
        return plugins;
    }

    /** {@code nginx_config.http.client_max_body_size} in bytes; 0 means unlimited (APISIX's default). */
    public long clientMaxBodySize() {
        return clientMaxBodySize;
    }

    /**
     * {@code apisix.request_body_buffer_budget} in bytes (aigw's key): how much all requests together may
     * hold of request bodies in memory; {@code auto} (the default) is an eighth of the maximum heap, 0 unlimited.
     */
    /**
     * {@code apisix.max_post_args_readable_size} in bytes (0: none): a larger body is not read to match
     * {@code post_arg.*}, which then has no value, as APISIX.
     */
    /**
     * {@code apisix.websocket.max_message_size} (aigw): the largest WebSocket frame and message relayed
     * on {@code enable_websocket} routes, each way; past it the sender is closed with 1009. 1 MiB by default.
     */
    public int webSocketMaxMessageSize() {
        return webSocketMaxMessageSize;
    }

    public long maxPostArgsReadableSize() {
        return maxPostArgsReadableSize;
    }

    public long requestBodyBufferBudget() {
        return requestBodyBufferBudget;
    }

    /**
     * {@code nginx_config.worker_processes} ({@code auto}, the default: the cores this process may
     * use): how many event loops serve traffic.
     */
    public int workerProcesses() {
        return workerProcesses;
    }

    /** {@code apisix.graceful_shutdown_timeout} (seconds, default 10): how long a stop waits for in-flight requests. */
    public Duration gracefulShutdownTimeout() {
        return gracefulShutdownTimeout;
    }

    /** {@code nginx_config.http.client_header_timeout} and {@code keepalive_timeout} (60 s each by default). */
    public HttpTimeouts httpTimeouts() {
        return httpTimeouts;
    }

    /** Problems that do not stop the start (unknown keys …): one operator-readable line each, to log at start. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    // ---------------------------------------------------------------- reading and merging

    private static JsonObject readDefaults(Path prefix) {
        Path file = prefix.resolve(DEFAULT_FILE);
        if (Files.exists(file)) {
            return parseYaml(read(file), file.toString());
        }
        try (InputStream in = GatewayConfig.class.getResourceAsStream(BUNDLED_DEFAULTS)) {
            if (in == null) {
                throw new ConfigException("invalid configuration: " + file + " not found and no bundled defaults in the jar");
            }
            return parseYaml(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bundled config-default.yaml");
        } catch (IOException e) {
            throw new ConfigException("invalid configuration: cannot read bundled config-default.yaml: " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("invalid configuration: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses YAML into Vert.x JSON; an empty document is an empty mapping. */
    static JsonObject parseYaml(String text, String source) {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        // a key written twice is almost always a mistake that would silently drop half a block
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc != null && loc.getLineNr() > 0 ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "";
            String reason = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
            // SnakeYAML knows where the problem itself is; Jackson's location is where the construct began
            if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
                where = " at line " + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1);
                reason = m.getProblem();
            }
            throw new ConfigException("invalid configuration: failed to parse " + source + where + ": " + reason, e);
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return new JsonObject();
        }
        if (!node.isObject()) {
            throw new ConfigException("invalid configuration: " + source + " must be a YAML mapping at the top level");
        }
        return (JsonObject) toVertx(node);
    }

    private static Object toVertx(JsonNode node) {
        if (node.isObject()) {
            JsonObject o = new JsonObject();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                o.put(e.getKey(), toVertx(e.getValue()));
            }
            return o;
        }
        if (node.isArray()) {
            JsonArray a = new JsonArray();
            node.forEach(n -> a.add(toVertx(n)));
            return a;
        }
        if (node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.asText();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }

    /** APISIX's merge: mappings merge, lists and scalars replace, an explicit null removes. */
    static void merge(JsonObject base, JsonObject overrides) {
        for (String key : overrides.fieldNames()) {
            Object v = overrides.getValue(key);
            if (v == null) {
                base.remove(key);
            } else if (v instanceof JsonObject o && base.getValue(key) instanceof JsonObject b) {
                merge(b, o);
            } else {
                base.put(key, v instanceof JsonObject o ? o.copy() : v instanceof JsonArray a ? a.copy() : v);
            }
        }
    }

    /** {@code ${{VAR}}} / {@code ${{VAR:=default}}} in string values; a whole-value substitution may become a number or boolean. */
    private static void substituteEnv(Object node, String path, Function<String, String> env) {
        if (node instanceof JsonObject o) {
            for (String key : List.copyOf(o.fieldNames())) {
                String p = path.isEmpty() ? key : path + "." + key;
                Object v = o.getValue(key);
                if (v instanceof String s) {
                    o.put(key, resolveVars(s, p, env));
                } else {
                    substituteEnv(v, p, env);
                }
            }
        } else if (node instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                String p = path + "[" + i + "]";
                Object v = a.getValue(i);
                if (v instanceof String s) {
                    a.set(i, resolveVars(s, p, env));
                } else {
                    substituteEnv(v, p, env);
                }
            }
        }
    }

    private static Object resolveVars(String s, String path, Function<String, String> env) {
        Matcher m = ENV_VAR.matcher(s);
        if (!m.find()) {
            return s;
        }
        m.reset();
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.apply(m.group(1));
            if (v == null) {
                v = m.group(2) == null ? null : m.group(2).trim();
            }
            if (v == null) {
                throw new ConfigException("invalid configuration: can't find environment variable " + m.group(1) + " (used in " + path + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        String r = out.toString();
        if (r.equals("true") || r.equals("false")) {
            return Boolean.parseBoolean(r);
        }
        if (r.matches("-?\\d{1,18}")) {
            return Long.parseLong(r);
        }
        return r;
    }

    // ---------------------------------------------------------------- validation

    /**
     * @param http2 {@code apisix.enable_http2} (APISIX 3.9+: one switch for every listener); a listener's
     *              own {@code enable_http2} (APISIX before 3.9) wins over it
     */
    private List<Listen> parseNodeListen(Object v, boolean http2) {
        String key = "apisix.node_listen";
        String shape = key + " must be a port, a list of ports or a list of {ip, port, enable_http2}";
        if (v == null) {
            return List.of(new Listen("0.0.0.0", 9080, http2));
        }
        if (isInteger(v)) {
            return List.of(new Listen("0.0.0.0", port(key, v), http2));
        }
        if (!(v instanceof JsonArray arr) || arr.isEmpty()) {
            throw invalid(shape);
        }
        List<Listen> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Object e = arr.getValue(i);
            String k = key + "[" + i + "]";
            if (isInteger(e)) {
                out.add(new Listen("0.0.0.0", port(k, e), http2));
            } else if (e instanceof JsonObject o) {
                Listen l = listen(k, o, 9080);
                Object h2 = o.getValue("enable_http2");
                if (h2 != null && !(h2 instanceof Boolean)) {
                    throw invalid(k + ".enable_http2 must be true or false (got " + h2 + ")");
                }
                out.add(new Listen(l.ip(), l.port(), h2 == null ? http2 : (Boolean) h2));
            } else {
                throw invalid(shape);
            }
        }
        return List.copyOf(out);
    }

    private Listen parseAdminListen() {
        Object v = value(raw, "deployment.admin.admin_listen");
        if (v == null) {
            return new Listen("0.0.0.0", 9180);
        }
        if (!(v instanceof JsonObject o)) {
            throw invalid("deployment.admin.admin_listen must be a mapping with ip and port");
        }
        return listen("deployment.admin.admin_listen", o, 9180);
    }

    private static Listen listen(String key, JsonObject o, Integer defaultPort) {
        Object ip = o.getValue("ip");
        if (ip != null && !(ip instanceof String)) {
            throw invalid(key + ".ip must be a string");
        }
        Object p = o.getValue("port");
        int port;
        if (p == null) {
            if (defaultPort == null) {
                throw invalid(key + ".port is required");
            }
            port = defaultPort;
        } else {
            port = port(key + ".port", p);
        }
        return new Listen(ip == null ? "0.0.0.0" : (String) ip, port);
    }

    private static int port(String key, Object v) {
        if (!isInteger(v) || ((Number) v).longValue() < 1 || ((Number) v).longValue() > 65535) {
            throw invalid(key + " must be a port number (1-65535)");
        }
        return ((Number) v).intValue();
    }

    private List<AdminKey> parseAdminKeys() {
        Object v = value(raw, "deployment.admin.admin_key");
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray arr)) {
            throw invalid("deployment.admin.admin_key must be a list of {name, key, role}");
        }
        List<AdminKey> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String k = "deployment.admin.admin_key[" + i + "]";
            if (!(arr.getValue(i) instanceof JsonObject o)) {
                throw invalid("deployment.admin.admin_key must be a list of {name, key, role}");
            }
            String name = optString(o, "name", k + ".name", "admin");
            String key = optString(o, "key", k + ".key", "");
            String role = optString(o, "role", k + ".role", "admin");
            if (!ROLES.contains(role)) {
                throw invalid(k + ".role must be admin or viewer (got \"" + role + "\")");
            }
            out.add(new AdminKey(name, key, role));
        }
        return List.copyOf(out);
    }

    private List<Cidr> parseAllowAdmin() {
        Object v = value(raw, "deployment.admin.allow_admin");
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray arr)) {
            throw invalid("deployment.admin.allow_admin must be a list of IP addresses or CIDRs");
        }
        List<Cidr> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Object e = arr.getValue(i);
            if (!(e instanceof String s)) {
                throw invalid("deployment.admin.allow_admin must be a list of IP addresses or CIDRs");
            }
            try {
                out.add(Cidr.parse(s));
            } catch (IllegalArgumentException ex) {
                throw invalid("deployment.admin.allow_admin[" + i + "] is not an IP address or CIDR: \"" + s + "\"");
            }
        }
        return List.copyOf(out);
    }

    private ConfigProvider parseProvider() {
        String key = "deployment.role_traditional.config_provider";
        Object v = value(raw, key);
        if (v == null) {
            return ConfigProvider.BUILTIN;
        }
        for (ConfigProvider p : ConfigProvider.values()) {
            if (p.yamlName().equals(v)) {
                return p;
            }
        }
        throw invalid(key + " must be builtin or etcd (got \"" + v + "\")");
    }

    private EtcdConf parseEtcd() {
        Object hostsV = value(raw, "deployment.etcd.host");
        List<String> hosts = new ArrayList<>();
        if (hostsV == null) {
            hosts.add("http://127.0.0.1:2379");
        } else {
            if (!(hostsV instanceof JsonArray arr) || arr.isEmpty()) {
                throw invalid("deployment.etcd.host must be a list of URLs");
            }
            for (int i = 0; i < arr.size(); i++) {
                if (!(arr.getValue(i) instanceof String s) || !URL.matcher(s).matches()) {
                    throw invalid("deployment.etcd.host must be a list of URLs (http:// or https://), got " + arr.getValue(i));
                }
                hosts.add(s);
            }
        }
        String prefix = string(raw, "deployment.etcd.prefix", "/apisix");
        while (prefix.length() > 1 && prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.startsWith("/") || prefix.length() < 2) {
            throw invalid("deployment.etcd.prefix must start with / and name a directory, e.g. /apisix (got \"" + prefix + "\")");
        }
        Object t = value(raw, "deployment.etcd.timeout");
        long timeout = t == null ? 30 : integer("deployment.etcd.timeout", t, 1);
        String user = string(raw, "deployment.etcd.user", null);
        String password = string(raw, "deployment.etcd.password", null);
        return new EtcdConf(hosts, prefix, Duration.ofSeconds(timeout), user, password);
    }

    private long parseSize(String key) {
        Object v = value(raw, key);
        if (v == null) {
            return 0;
        }
        if (isInteger(v) && ((Number) v).longValue() >= 0) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            Matcher m = SIZE.matcher(s.trim());
            if (m.matches()) {
                long mult = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "k" -> 1024L;
                    case "m" -> 1024L * 1024;
                    case "g" -> 1024L * 1024 * 1024;
                    default -> 1L;
                };
                try {
                    return Math.multiplyExact(Long.parseLong(m.group(1)), mult);
                } catch (ArithmeticException | NumberFormatException e) {
                    throw invalid(key + " is too large (got " + v + "; at most " + (Long.MAX_VALUE / mult)
                            + m.group(2) + ")");
                }
            }
        }
        throw invalid(key + " must be a size such as 0 (unlimited), 512k, 8m or 1g (got " + v + ")");
    }

    /**
     * An nginx time ({@code 60s}, {@code 500ms}, {@code 1m}, {@code 2h}, {@code 1d}; a bare number is seconds),
     * positive when {@code positive}, else zero or more.
     */
    private Duration duration(String key, Duration def, boolean positive) {
        Object v = value(raw, key);
        if (v == null) {
            return def;
        }
        Duration d = null;
        if (isInteger(v)) {
            d = Duration.ofSeconds(((Number) v).longValue());
        } else if (v instanceof String s) {
            Matcher m = TIME.matcher(s.trim());
            if (m.matches() && m.group(1).length() <= 9) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                d = switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofSeconds(n);
                };
            }
        }
        if (d == null || d.isNegative() || positive && d.isZero()) {
            throw invalid(key + " must be a time such as 60s, 500ms or 2m" + (positive ? ", more than 0" : "")
                    + " (got " + v + ")");
        }
        return d;
    }

    private void validateAccessLog() {
        bool(raw, "nginx_config.http.enable_access_log", true);
        string(raw, "nginx_config.http.access_log", null);
        string(raw, "nginx_config.http.access_log_format", null);
        String esc = string(raw, "nginx_config.http.access_log_format_escape", "default");
        if (!ESCAPES.contains(esc)) {
            throw invalid("nginx_config.http.access_log_format_escape must be default or json (got \"" + esc + "\")");
        }
    }

    /**
     * Every plugin's attributes, of enabled plugins or not, must be mappings: a stray scalar is
     * refused at start rather than when (or if) a plugin reads it.
     */
    private void validatePluginAttr() {
        if (raw.getValue("plugin_attr") instanceof JsonObject attrs) {
            for (String name : attrs.fieldNames()) {
                pluginAttr(raw, name);
            }
        } else {
            pluginAttr(raw, "any"); // absent is fine; anything else is refused
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * What a value is, for a message: never the value itself, which may hold a secret (a DSN with
     * its password, a key).
     */
    private static String kind(Object v) {
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof Boolean) {
            return "true or false";
        }
        if (v instanceof JsonArray) {
            return "a list";
        }
        return v.getClass().getSimpleName();
    }

    private static ConfigException invalid(String what) {
        return new ConfigException("invalid configuration: " + what);
    }

    /** The value at a dotted path, or null when any step is missing; a non-mapping step is an error. */
    private static Object value(JsonObject root, String path) {
        Object cur = root;
        String[] parts = path.split("\\.");
        StringBuilder seen = new StringBuilder();
        for (String p : parts) {
            if (cur == null) {
                return null;
            }
            if (!(cur instanceof JsonObject o)) {
                throw invalid(seen + " must be a mapping");
            }
            cur = o.getValue(p);
            if (seen.length() > 0) {
                seen.append('.');
            }
            seen.append(p);
        }
        return cur;
    }

    /** The mapping at a dotted path, created if missing. */
    private static JsonObject object(JsonObject root, String path) {
        JsonObject cur = root;
        for (String p : path.split("\\.")) {
            JsonObject next = cur.getValue(p) instanceof JsonObject o ? o : null;
            if (next == null) {
                next = new JsonObject();
                cur.put(p, next);
            }
            cur = next;
        }
        return cur;
    }

    private static boolean bool(JsonObject root, String path, boolean def) {
        Object v = value(root, path);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw invalid(path + " must be true or false (got " + v + ")");
        }
        return b;
    }

    private static String string(JsonObject root, String path, String def) {
        Object v = value(root, path);
        if (v == null) {
            return def;
        }
        if (!(v instanceof String s)) {
            throw invalid(path + " must be a string (got " + v + ")");
        }
        return s;
    }

    private static String optString(JsonObject o, String field, String path, String def) {
        Object v = o.getValue(field);
        if (v == null) {
            return def;
        }
        if (!(v instanceof String s)) {
            throw invalid(path + " must be a string");
        }
        return s;
    }

    private static List<String> stringList(JsonObject root, String path) {
        Object v = value(root, path);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray arr)) {
            throw invalid(path + " must be a list of names");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            if (!(arr.getValue(i) instanceof String s)) {
                throw invalid(path + " must be a list of names (item " + i + " is " + arr.getValue(i) + ")");
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    private static long integer(String path, Object v, long min) {
        if (!isInteger(v) || ((Number) v).longValue() < min) {
            throw invalid(path + " must be an integer >= " + min + " (got " + v + ")");
        }
        return ((Number) v).longValue();
    }

    private static boolean isInteger(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte;
    }

    private static String randomKey() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
