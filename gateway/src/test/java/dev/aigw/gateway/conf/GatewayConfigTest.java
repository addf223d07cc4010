package dev.aigw.gateway.conf;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayConfigTest {

    /** The repository's conf/ directory (tests run in gateway/). */
    private static final Path REPO_CONF = Path.of("..", "conf").toAbsolutePath().normalize();

    @TempDir
    Path prefix;

    private GatewayConfig loadUser(String yaml) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/config.yaml"), yaml);
        return GatewayConfig.load(prefix, null);
    }

    private String errorFor(String yaml) throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> loadUser(yaml));
        return e.getMessage();
    }

    @Test
    void defaultsOnlyWhenNoUserFile() {
        GatewayConfig c = GatewayConfig.load(prefix, null);
        assertEquals(List.of(new Listen("0.0.0.0", 9080)), c.nodeListen());
        assertEquals(new Listen("0.0.0.0", 9180), c.adminListen());
        assertTrue(c.enableAdmin());
        assertEquals(ConfigProvider.BUILTIN, c.configProvider());
        assertFalse(c.usesEtcd());
        assertEquals("/apisix", c.etcd().prefix());
        assertEquals(List.of("http://127.0.0.1:2379"), c.etcd().hosts());
        assertEquals(Duration.ofSeconds(30), c.etcd().timeout());
        // every shipped plugin is on by default (the list grows with each plugin): no repeats
        assertTrue(c.plugins().containsAll(List.of("key-auth", "proxy-rewrite", "ai-proxy", "ai-proxy-multi", "kafka-logger",
                "prometheus", "ai-request-log", "cors")), c.plugins().toString());
        assertEquals(c.plugins().size(), new java.util.HashSet<>(c.plugins()).size(), c.plugins().toString());
        assertEquals(0, c.clientMaxBodySize());
        assertEquals(Duration.ofSeconds(10), c.gracefulShutdownTimeout());
        assertEquals(Runtime.getRuntime().availableProcessors(), c.workerProcesses(), "worker_processes: auto");
        assertEquals(1, c.allowAdmin().size());
        assertTrue(c.allowAdmin().get(0).contains("127.0.0.1"));
        assertFalse(c.allowAdmin().get(0).contains("10.0.0.1"));
        assertEquals(prefix.toAbsolutePath().normalize(), c.prefix());

        JsonObject http = c.raw().getJsonObject("nginx_config").getJsonObject("http");
        assertEquals(true, http.getBoolean("enable_access_log"));
        assertEquals("logs/access.log", http.getString("access_log"));
        assertEquals("default", http.getString("access_log_format_escape"));
        assertTrue(http.getString("access_log_format").startsWith("$remote_addr - $remote_user [$time_local]"),
                http.getString("access_log_format"));
    }

    @Test
    void emptyAdminKeyIsReplacedByAGeneratedOne() {
        GatewayConfig c = GatewayConfig.load(prefix, null);
        assertTrue(c.adminKeyGenerated());
        assertEquals(1, c.adminKeys().size());
        AdminKey k = c.adminKeys().get(0);
        assertEquals("admin", k.name());
        assertEquals("admin", k.role());
        assertTrue(k.key().matches("[0-9a-f]{32}"), k.key());
        // raw() agrees with the typed view
        assertEquals(k.key(), c.raw().getJsonObject("deployment").getJsonObject("admin")
                .getJsonArray("admin_key").getJsonObject(0).getString("key"));
        assertFalse(k.toString().contains(k.key()), "toString must not reveal the key");
        // a new start gets a new key
        assertNotEquals(k.key(), GatewayConfig.load(prefix, null).adminKeys().get(0).key());
    }

    @Test
    void shippedUserConfigUsesTheDevKeyAndBuiltinStore() {
        GatewayConfig c = GatewayConfig.load(prefix, REPO_CONF.resolve("config.yaml"));
        assertFalse(c.adminKeyGenerated());
        assertEquals(List.of(new AdminKey("admin", "edd1c9f034335f136f87ad84b625c8f1", "admin")), c.adminKeys());
        assertEquals(List.of(new Listen("0.0.0.0", 9080)), c.nodeListen());
        assertEquals(new Listen("0.0.0.0", 9180), c.adminListen());
        assertEquals(ConfigProvider.BUILTIN, c.configProvider());
    }

    @Test
    void prefixDefaultsFileWinsOverTheBundledCopy() throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        String shipped = Files.readString(REPO_CONF.resolve("config-default.yaml"));
        assertTrue(shipped.contains("timeout: 30 "));
        Files.writeString(prefix.resolve("conf/config-default.yaml"), shipped.replace("timeout: 30 ", "timeout: 7 "));
        assertEquals(Duration.ofSeconds(7), GatewayConfig.load(prefix, null).etcd().timeout());
    }

    @Test
    void userFileIsDeepMerged() throws IOException {
        GatewayConfig c = loadUser("""
                apisix:
                  node_listen: 9081
                deployment:
                  role_traditional:
                    config_provider: etcd
                  etcd:
                    host: ["http://10.0.0.1:2379", "https://10.0.0.2:2379"]
                    user: root
                    password: s3cret
                  admin:
                    allow_admin: null
                plugins:
                  - ai-proxy
                nginx_config:
                  http:
                    client_max_body_size: 8m
                    access_log: /var/log/aigw.log
                """);
        assertEquals(List.of(new Listen("0.0.0.0", 9081)), c.nodeListen());
        assertTrue(c.usesEtcd());
        EtcdConf etcd = c.etcd();
        assertEquals(List.of("http://10.0.0.1:2379", "https://10.0.0.2:2379"), etcd.hosts());
        assertEquals("/apisix", etcd.prefix(), "untouched siblings keep their defaults");
        assertEquals(Duration.ofSeconds(30), etcd.timeout());
        assertEquals("root", etcd.user());
        assertEquals("s3cret", etcd.password());
        assertFalse(etcd.toString().contains("s3cret"));
        assertEquals(List.of(), c.allowAdmin(), "null removes the default");
        assertEquals(List.of("ai-proxy"), c.plugins(), "lists replace");
        assertEquals(8L * 1024 * 1024, c.clientMaxBodySize());
        JsonObject http = c.raw().getJsonObject("nginx_config").getJsonObject("http");
        assertEquals("/var/log/aigw.log", http.getString("access_log"));
        assertEquals(true, http.getBoolean("enable_access_log"), "defaults next to an override stay");
        assertEquals(9180, c.adminListen().port());
    }

    @Test
    void nodeListenForms() throws IOException {
        GatewayConfig c = loadUser("""
                apisix:
                  node_listen:
                    - 9080
                    - port: 9081
                    - ip: 127.0.0.2
                      port: 9082
                """);
        assertEquals(List.of(new Listen("0.0.0.0", 9080), new Listen("0.0.0.0", 9081), new Listen("127.0.0.2", 9082)),
                c.nodeListen());
    }

    @Test
    void sizes() throws IOException {
        Map<String, Long> cases = Map.of("0", 0L, "\"0\"", 0L, "1m", 1048576L, "512k", 524288L, "2G", 2147483648L,
                "1024", 1024L, "\"100\"", 100L);
        for (Map.Entry<String, Long> e : cases.entrySet()) {
            GatewayConfig c = loadUser("nginx_config:\n  http:\n    client_max_body_size: " + e.getKey() + "\n");
            assertEquals(e.getValue(), c.clientMaxBodySize(), e.getKey());
        }
        assertTrue(errorFor("nginx_config:\n  http:\n    client_max_body_size: 1x\n")
                .startsWith("invalid configuration: nginx_config.http.client_max_body_size must be a size"));
    }

    @Test
    void workerProcessesIsAutoOrACount() throws IOException {
        assertEquals(3, loadUser("nginx_config:\n  worker_processes: 3\n").workerProcesses());
        assertEquals(Runtime.getRuntime().availableProcessors(),
                loadUser("nginx_config:\n  worker_processes: auto\n").workerProcesses());
        for (String bad : List.of("0", "-1", "257", "two", "1.5")) {
            assertEquals("invalid configuration: nginx_config.worker_processes must be auto or an integer from 1 to 256"
                    + " (got " + bad + ")", errorFor("nginx_config:\n  worker_processes: " + bad + "\n"), bad);
        }
    }

    @Test
    void configuredAdminKeysAndEmptyOnes() throws IOException {
        GatewayConfig c = loadUser("""
                deployment:
                  admin:
                    admin_key:
                      - {name: admin, key: abc, role: admin}
                      - {name: viewer, key: '', role: viewer}
                """);
        assertTrue(c.adminKeyGenerated());
        assertEquals(new AdminKey("admin", "abc", "admin"), c.adminKeys().get(0));
        assertEquals("viewer", c.adminKeys().get(1).role());
        assertTrue(c.adminKeys().get(1).key().matches("[0-9a-f]{32}"));
    }

    @Test
    void noKeyIsGeneratedWhenNoneIsRequired() throws IOException {
        GatewayConfig c = loadUser("deployment:\n  admin:\n    admin_key_required: false\n");
        assertFalse(c.adminKeyRequired());
        assertFalse(c.adminKeyGenerated());
        assertEquals(List.of(), c.adminKeys(), "the default entry has an empty key: it is no key at all");
    }

    @Test
    void environmentVariables() throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/config.yaml"), """
                deployment:
                  etcd:
                    host:
                      - "http://${{ETCD_HOST}}:2379"
                    timeout: ${{ETCD_TIMEOUT:=5}}
                """);
        GatewayConfig c = GatewayConfig.load(prefix, null, Map.of("ETCD_HOST", "10.1.2.3")::get);
        assertEquals(List.of("http://10.1.2.3:2379"), c.etcd().hosts());
        assertEquals(Duration.ofSeconds(5), c.etcd().timeout());
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.load(prefix, null, k -> null));
        assertEquals("invalid configuration: can't find environment variable ETCD_HOST (used in deployment.etcd.host[0])",
                e.getMessage());
    }

    @Test
    void explicitConfigFileMustExist() {
        Path missing = prefix.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.load(prefix, missing));
        assertEquals("invalid configuration: config file not found: " + missing, e.getMessage());
    }

    @Test
    void badYamlNamesFileAndLine() throws IOException {
        String msg = errorFor("apisix:\n  node_listen: [9080\n  enable_admin: true\n");
        String file = prefix.resolve("conf/config.yaml").toString();
        assertTrue(msg.startsWith("invalid configuration: failed to parse " + file + " at line "), msg);
        assertFalse(msg.contains("\n"), "one line: " + msg);

        msg = errorFor("apisix:\n\tnode_listen: 9080\n");
        assertTrue(msg.contains(file) && msg.contains("line 2"), msg);

        msg = errorFor("apisix:\n  enable_admin: true\n  enable_admin: false\n");
        assertTrue(msg.contains(file) && msg.contains("enable_admin"), msg);

        assertEquals("invalid configuration: " + file + " must be a YAML mapping at the top level", errorFor("- a\n- b\n"));
    }

    @Test
    void wrongTypesNameTheKey() throws IOException {
        assertEquals("invalid configuration: deployment.etcd.host must be a list of URLs",
                errorFor("deployment:\n  etcd:\n    host: http://127.0.0.1:2379\n"));
        assertEquals("invalid configuration: deployment.etcd.host must be a list of URLs (http:// or https://), got 127.0.0.1:2379",
                errorFor("deployment:\n  etcd:\n    host: [\"127.0.0.1:2379\"]\n"));
        assertEquals("invalid configuration: deployment.role_traditional.config_provider must be builtin or etcd (got \"yaml\")",
                errorFor("deployment:\n  role_traditional:\n    config_provider: yaml\n"));
        assertEquals("invalid configuration: deployment.role must be traditional (got \"data_plane\")",
                errorFor("deployment:\n  role: data_plane\n"));
        assertEquals("invalid configuration: apisix.node_listen must be a port, a list of ports or a list of {ip, port, enable_http2}",
                errorFor("apisix:\n  node_listen: abc\n"));
        assertEquals("invalid configuration: apisix.node_listen[0] must be a port number (1-65535)",
                errorFor("apisix:\n  node_listen: [70000]\n"));
        assertEquals("invalid configuration: apisix.enable_admin must be true or false (got maybe)",
                errorFor("apisix:\n  enable_admin: maybe\n"));
        assertEquals("invalid configuration: deployment.admin.allow_admin[1] is not an IP address or CIDR: \"10.0.0.0/33\"",
                errorFor("deployment:\n  admin:\n    allow_admin: [127.0.0.1, 10.0.0.0/33]\n"));
        assertEquals("invalid configuration: deployment.etcd.timeout must be an integer >= 1 (got 0)",
                errorFor("deployment:\n  etcd:\n    timeout: 0\n"));
        assertEquals("invalid configuration: deployment.admin.admin_key[0].role must be admin or viewer (got \"root\")",
                errorFor("deployment:\n  admin:\n    admin_key: [{name: a, key: b, role: root}]\n"));
        assertEquals("invalid configuration: deployment.admin.admin_listen.port must be a port number (1-65535)",
                errorFor("deployment:\n  admin:\n    admin_listen: {ip: 0.0.0.0, port: x}\n"));
        assertEquals("invalid configuration: plugins must be a list of names", errorFor("plugins: ai-proxy\n"));
        assertEquals("invalid configuration: nginx_config.http.access_log_format_escape must be default or json (got \"xml\")",
                errorFor("nginx_config:\n  http:\n    access_log_format_escape: xml\n"));
        assertEquals("invalid configuration: deployment must be a mapping", errorFor("deployment: 3\n"));
    }

    @Test
    void pluginAttrIsReadAsMappingsOnly() throws IOException {
        GatewayConfig c = loadUser("plugin_attr:\n  log-rotate:\n    interval: 60\n  server-info:\n");
        assertEquals(new JsonObject().put("interval", 60), c.pluginAttr("log-rotate"));
        assertEquals(new JsonObject(), c.pluginAttr("server-info"), "a key without a value: no attributes");
        assertEquals(new JsonObject(), c.pluginAttr("ai-request-log"), "absent: no attributes");
        c.pluginAttr("log-rotate").put("interval", 1);
        assertEquals(60, c.pluginAttr("log-rotate").getInteger("interval"), "a copy: changing it changes nothing");

        assertEquals("invalid configuration: plugin_attr must be a mapping (got a list)",
                errorFor("plugin_attr: [prometheus]\n"));
        // refused at start for any plugin, enabled or not; the value itself is not repeated (a DSN holds a password)
        assertEquals("invalid configuration: plugin_attr.ai-request-log must be a mapping (got a string)",
                errorFor("plugin_attr:\n  ai-request-log: postgres://u:secret@db/x\n"));
        assertEquals("invalid configuration: plugin_attr.no-such-plugin must be a mapping (got a number)",
                errorFor("plugin_attr:\n  no-such-plugin: 3\n"));
        // the static form, as PluginEnv uses it on a configuration object
        ConfigException e = assertThrows(ConfigException.class,
                () -> GatewayConfig.pluginAttr(new JsonObject().put("plugin_attr", new JsonObject().put("x", true)), "x"));
        assertEquals("invalid configuration: plugin_attr.x must be a mapping (got true or false)", e.getMessage());
    }

    @Test
    void listenerTimeoutsAndHttp2() throws IOException {
        GatewayConfig d = loadUser("");
        assertEquals(HttpTimeouts.DEFAULTS, d.httpTimeouts());
        assertEquals(List.of(new Listen("0.0.0.0", 9080, false)), d.nodeListen(), "h2c off by default");

        GatewayConfig c = loadUser("apisix:\n  enable_http2: true\n  node_listen:\n    - 9080\n"
                + "    - {port: 9081, enable_http2: false}\n    - {ip: 127.0.0.2}\n"
                + "nginx_config:\n  http:\n    client_header_timeout: 500ms\n    keepalive_timeout: 0\n");
        assertEquals(List.of(new Listen("0.0.0.0", 9080, true), new Listen("0.0.0.0", 9081, false),
                new Listen("127.0.0.2", 9080, true)), c.nodeListen(), "the listener's own switch wins; port 9080 by default");
        assertEquals(new HttpTimeouts(java.time.Duration.ofMillis(500), java.time.Duration.ZERO), c.httpTimeouts());
        assertEquals(java.time.Duration.ofMinutes(2), loadUser("nginx_config:\n  http:\n    keepalive_timeout: 2m\n")
                .httpTimeouts().keepalive());
    }

    @Test
    void startupRefusalsNameTheKey() throws IOException {
        assertEquals("invalid configuration: deployment.admin.admin_listen 0.0.0.0:9080 conflicts with apisix.node_listen "
                        + "127.0.0.1:9080: the Admin API and the data plane need different ports",
                errorFor("apisix:\n  node_listen: [{ip: 127.0.0.1, port: 9080}]\n"
                        + "deployment:\n  admin:\n    admin_listen: {port: 9080}\n"));
        String msg = errorFor("nginx_config:\n  http:\n    client_max_body_size: 9999999999g\n");
        assertTrue(msg.startsWith("invalid configuration: nginx_config.http.client_max_body_size is too large (got 9999999999g"), msg);
        assertEquals("invalid configuration: nginx_config.http.client_header_timeout must be a time such as 60s, 500ms "
                + "or 2m, more than 0 (got soon)", errorFor("nginx_config:\n  http:\n    client_header_timeout: soon\n"));
        assertEquals("invalid configuration: apisix.node_listen[0].enable_http2 must be true or false (got yes please)",
                errorFor("apisix:\n  node_listen: [{port: 9080, enable_http2: yes please}]\n"));
        // no admin in this process: no conflict
        loadUser("apisix:\n  enable_admin: false\n  node_listen: 9180\n");
    }

    @Test
    void unknownTopLevelKeysAreWarnings() throws IOException {
        assertEquals(List.of(), loadUser("plugin_attr: {}\n").warnings());
        List<String> w = loadUser("deployement: {}\n").warnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("unknown top-level configuration key deployement (ignored"), w.get(0));
    }
}
