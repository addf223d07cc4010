package dev.aigw.t;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway launcher, proven against {@link FakeGateway} (a stand-in main class with the same
 * command line), so start / stop / kill / restart and the failure reports work before the real
 * gateway does. Also checks that the generated config.yaml is valid YAML with APISIX's keys.
 */
class GatewayProcessTest {

    @TempDir
    Path prefix;

    private static GatewayProcess.Builder fake(Path prefix, GatewayConfig config) throws Exception {
        String classes = Path.of(FakeGateway.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        return GatewayProcess.builder(prefix).config(config).mainClass(FakeGateway.class.getName(), classes)
                .jvmArgs("-Xshare:auto", "-XX:TieredStopAtLevel=1");
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static long pidIn(String message) {
        Matcher m = Pattern.compile("pid (\\d+)").matcher(message);
        assertTrue(m.find(), message);
        return Long.parseLong(m.group(1));
    }

    @Test
    void startServeStopWithSigterm() throws Exception {
        GatewayConfig config = GatewayConfig.create();
        GatewayProcess gw = fake(prefix, config).start();
        long pid = gw.pid();
        try {
            assertTrue(alive(pid));
            HttpResult r = gw.admin("PUT", "/routes/1", "{\"uri\":\"/hello\"}");
            assertEquals(200, r.status(), r.body());
            assertEquals("PUT", r.jsonObject().getString("method"));
            assertEquals("/apisix/admin/routes/1", r.jsonObject().getString("path"), "the admin prefix is added");
            assertEquals(16, r.jsonObject().getInteger("body_length"));

            HttpResult noKey = gw.send("GET", gw.adminUrl("/apisix/admin/routes"), null, Map.of());
            assertEquals(401, noKey.status());
            assertEquals("failed to check token", noKey.jsonObject().getString("error_msg"));

            HttpResult hello = gw.http("GET", "/hello", null);
            assertEquals("hello world\n", hello.body());
            assertEquals(List.of("127.0.0.1 GET /hello 200"), gw.awaitAccessLogLines(1, Duration.ofSeconds(5)));
            assertTrue(gw.awaitLog("fake gateway started", Duration.ofSeconds(5)), gw.outputTail(20));
            assertTrue(gw.awaitStdout(out -> out.contains("listening on " + config.nodePort()), Duration.ofSeconds(5)),
                    gw.stdout());
        } finally {
            int code = gw.stop();
            assertEquals(143, code, "a JVM ended by SIGTERM exits 143");
        }
        assertFalse(gw.isAlive());
        assertFalse(alive(pid));
        assertTrue(gw.errorLog().contains("fake gateway stopping"), "SIGTERM ran the shutdown hooks");
    }

    @Test
    void restartKeepsThePrefixAndPorts() throws Exception {
        GatewayProcess gw = fake(prefix, GatewayConfig.create()).start();
        try {
            long first = gw.pid();
            // the stand-in prints after its ports accept: let the first start print before it is stopped
            assertTrue(gw.awaitStdout(out -> out.contains("listening"), Duration.ofSeconds(5)), gw.stdout());
            gw.restart();
            assertNotEquals(first, gw.pid());
            assertFalse(alive(first));
            assertEquals("2", Files.readString(prefix.resolve("data/starts")), "data in the prefix survived");
            assertEquals(200, gw.http("GET", "/hello", null).status());
            assertTrue(gw.awaitStdout(out -> out.lines().filter(l -> l.contains("listening")).count() == 2,
                    Duration.ofSeconds(5)), "output is appended: " + gw.stdout());
            gw.stop();
            gw.restart();
            assertEquals("3", Files.readString(prefix.resolve("data/starts")));
        } finally {
            gw.close();
        }
        assertFalse(gw.isAlive());
    }

    @Test
    void killIsSigkill() throws Exception {
        GatewayProcess gw = fake(prefix, GatewayConfig.create()).start();
        assertEquals(137, gw.kill());
        assertFalse(gw.errorLog().contains("stopping"), "no shutdown hooks after SIGKILL");
    }

    @Test
    void ignoredSigtermEndsWithSigkill() throws Exception {
        GatewayProcess gw = fake(prefix, GatewayConfig.create().rawYaml("fake_mode: ignore_term"))
                .stopTimeout(Duration.ofSeconds(1)).start();
        long pid = gw.pid();
        assertEquals(137, gw.stop());
        assertFalse(alive(pid));
        assertTrue(gw.errorLog().contains("stopping"), "SIGTERM was tried first");
    }

    @Test
    void earlyExitFailsWithTheOutputTail() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> fake(prefix, GatewayConfig.create().rawYaml("fake_mode: exit_early")).start());
        assertTrue(e.getMessage().contains("exited with code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("boom: invalid configuration"), e.getMessage());
    }

    @Test
    void notListeningInTimeIsKilledAndReported() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> fake(prefix, GatewayConfig.create().rawYaml("fake_mode: never_listen"))
                        .startTimeout(Duration.ofMillis(1500)).start());
        assertTrue(e.getMessage().contains("did not listen"), e.getMessage());
        assertFalse(alive(pidIn(e.getMessage())), "the stuck process was killed");
    }

    @Test
    void aPortAlreadyInUseIsRefusedBeforeStarting() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> fake(prefix, GatewayConfig.create().nodePort(taken.getLocalPort())).start());
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
    }

    @Test
    void missingJarSaysToPackageFirst() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> GatewayProcess.builder(prefix).jar(prefix.resolve("nope/aigw.jar")).start());
        assertTrue(e.getMessage().contains("run mvn package first"), e.getMessage());
    }

    @Test
    void theAigwJarPropertyIsSet() {
        // t/pom.xml passes the jar's location; the real gateway tests depend on it.
        String jar = System.getProperty("aigw.jar");
        assertTrue(jar != null && jar.endsWith("aigw.jar"), String.valueOf(jar));
    }

    @Test
    @SuppressWarnings("unchecked")
    void configIsYamlWithApisixKeys() throws Exception {
        GatewayConfig c = GatewayConfig.create().adminKey("k-123").etcd("http://127.0.0.1:23790")
                .plugins("ai-proxy", "kafka-logger")
                .set("nginx_config.http.access_log_format", "$remote_addr \"$request\" $status\t$llm_model")
                .set("deployment.admin.admin_key_required", true)
                .rawYaml("plugin_attr:\n  prometheus:\n    export_uri: /metrics\n");
        Map<String, Object> y = new ObjectMapper(new YAMLFactory()).readValue(c.toYaml(), Map.class);

        assertEquals(List.of(Map.of("ip", "127.0.0.1", "port", c.nodePort())),
                ((Map<String, Object>) y.get("apisix")).get("node_listen"));
        Map<String, Object> dep = (Map<String, Object>) y.get("deployment");
        assertEquals("traditional", dep.get("role"));
        assertEquals(Map.of("config_provider", "etcd"), dep.get("role_traditional"));
        assertEquals(Map.of("host", List.of("http://127.0.0.1:23790"), "prefix", "/apisix"), dep.get("etcd"));
        Map<String, Object> admin = (Map<String, Object>) dep.get("admin");
        assertEquals(List.of(Map.of("name", "admin", "key", "k-123", "role", "admin")), admin.get("admin_key"));
        assertEquals(List.of("127.0.0.0/24"), admin.get("allow_admin"));
        assertEquals(Map.of("ip", "127.0.0.1", "port", c.adminPort()), admin.get("admin_listen"));
        assertEquals(true, admin.get("admin_key_required"), "set() merges into the builder's maps");
        assertEquals(List.of("ai-proxy", "kafka-logger"), y.get("plugins"));
        assertEquals("$remote_addr \"$request\" $status\t$llm_model",
                ((Map<String, Map<String, Object>>) y.get("nginx_config")).get("http").get("access_log_format"));
        assertEquals("/metrics", ((Map<String, Map<String, Object>>) y.get("plugin_attr")).get("prometheus").get("export_uri"));

        Map<String, Object> builtin = new ObjectMapper(new YAMLFactory())
                .readValue(GatewayConfig.create().toYaml(), Map.class);
        Map<String, Object> bdep = (Map<String, Object>) builtin.get("deployment");
        assertEquals(Map.of("config_provider", "builtin"), bdep.get("role_traditional"));
        assertFalse(bdep.containsKey("etcd"));
        assertFalse(builtin.containsKey("plugins"), "no plugins list unless set: the gateway's defaults apply");
    }
}
