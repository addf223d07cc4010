package dev.aigw.t.foundation;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the gateway refuses or warns about at start (issue 11, points 9 and 10), as an operator sees it:
 * one clear line naming the key or the port and no stack trace when it cannot start, a loud warning
 * when it starts with an Admin API anyone could use, and the built-in store's files (they hold provider
 * keys) readable by the gateway's user only.
 */
class StartupChecksTest {

    private record Run(int code, String output) {
    }

    /** Starts the jar on {@code config} and expects it to exit on its own. */
    private static Run run(Path prefix, GatewayConfig config) throws Exception {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/config.yaml"), config.toYaml(), StandardCharsets.UTF_8);
        Path out = prefix.resolve("out.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-jar", System.getProperty("aigw.jar"), "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the gateway did not exit:\n" + Files.readString(out));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private static void assertRefused(Run r, String... mustName) {
        assertNotEquals(0, r.code(), "non-zero exit:\n" + r.output());
        String line = r.output().lines().filter(l -> l.startsWith("aigw: ")).findFirst().orElse("");
        for (String word : mustName) {
            assertTrue(line.contains(word), "the message names " + word + ": " + r.output());
        }
        assertFalse(r.output().contains("\tat ") || r.output().contains("Exception"), "no stack trace:\n" + r.output());
    }

    // ------------------------------------------------------------------ point 9

    @Test
    void anAdminListenOnANodeListenAddressIsRefusedNamingBoth(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create();
        c.adminPort(c.nodePort());
        assertRefused(run(prefix, c), "deployment.admin.admin_listen", "apisix.node_listen", "127.0.0.1:" + c.nodePort());
    }

    @Test
    void aPortInUseIsNamed(@TempDir Path prefix) throws Exception {
        for (String which : List.of("node", "admin")) {
            try (ServerSocket taken = new ServerSocket(Ports.free(), 50, InetAddress.getByName("127.0.0.1"))) {
                GatewayConfig c = GatewayConfig.create();
                if (which.equals("node")) {
                    c.nodePort(taken.getLocalPort());
                } else {
                    c.adminPort(taken.getLocalPort());
                }
                Path dir = prefix.resolve(which);
                assertRefused(run(dir, c), "port " + taken.getLocalPort() + " is already in use",
                        which.equals("node") ? "apisix.node_listen" : "deployment.admin.admin_listen");
            }
        }
    }

    @Test
    void anAbsurdClientMaxBodySizeNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("nginx_config.http.client_max_body_size", "9999999999g");
        Run r = run(prefix, c);
        assertRefused(r, "nginx_config.http.client_max_body_size", "9999999999g");
        assertEquals(1, r.output().lines().filter(l -> l.contains("client_max_body_size")).count(), r.output());
    }

    @Test
    void anUnwritableAccessLogStopsTheStart(@TempDir Path prefix) throws Exception {
        // a path under a regular file: no user (not even root) can create it
        Files.createDirectories(prefix);
        Files.writeString(prefix.resolve("not-a-dir"), "x");
        String path = prefix.resolve("not-a-dir/access.log").toString();
        GatewayConfig c = GatewayConfig.create().set("nginx_config.http.access_log", path);
        assertRefused(run(prefix, c), "nginx_config.http.access_log", path);
    }

    @Test
    void unknownTopLevelKeysAreWarnedAbout(@TempDir Path prefix) {
        GatewayConfig c = GatewayConfig.create().rawYaml("deployement:\n  role: traditional\nplugin_atr: {}\n");
        try (GatewayProcess gw = GatewayProcess.start(prefix, c)) {
            String logs = gw.allLogs();
            assertTrue(logs.contains("unknown top-level configuration keys deployement, plugin_atr"), logs);
            assertEquals(200, gw.admin("GET", "/routes", null).status(), "the gateway runs");
        }
    }

    // ------------------------------------------------------------------ point 10

    @Test
    void theWellKnownAdminKeyIsALoudWarning(@TempDir Path prefix) {
        try (GatewayProcess gw = GatewayProcess.start(prefix.resolve("known"), GatewayConfig.create())) {
            String logs = gw.allLogs();
            assertTrue(logs.contains("WARNING: using fixed Admin API token has security risk"), logs);
            assertTrue(logs.contains("deployment.admin.admin_key"), logs);
        }
        try (GatewayProcess gw = GatewayProcess.start(prefix.resolve("own"),
                GatewayConfig.create().adminKey("0f3c5e0b9a7d4c21b8e6f1a2d3c4b5a6"))) {
            assertFalse(gw.allLogs().contains("security risk"), "an own key: no warning\n" + gw.allLogs());
            assertFalse(gw.allLogs().contains("0f3c5e0b9a7d4c21b8e6f1a2d3c4b5a6"), "the key is never logged");
        }
    }

    @Test
    void anEmptyAllowAdminIsALoudWarning(@TempDir Path prefix) {
        GatewayConfig c = GatewayConfig.create().adminKey("0f3c5e0b9a7d4c21b8e6f1a2d3c4b5a6")
                .set("deployment.admin.allow_admin", List.of());
        try (GatewayProcess gw = GatewayProcess.start(prefix, c)) {
            String logs = gw.allLogs();
            assertTrue(logs.contains("WARNING: deployment.admin.allow_admin is empty"), logs);
            assertTrue(logs.contains("accepts clients from any address"), logs);
        }
    }

    @Test
    void theBuiltInStoreFilesAreOwnerOnly(@TempDir Path prefix) throws IOException {
        try (GatewayProcess gw = GatewayProcess.start(prefix, GatewayConfig.create())) {
            HttpResult r = gw.admin("PUT", "/routes/secret", "{\"uri\":\"/s\",\"plugins\":{\"ai-proxy\":{"
                    + "\"provider\":\"openai\",\"auth\":{\"header\":{\"Authorization\":\"Bearer sk-secret\"}}}}}");
            assertEquals(201, r.status(), r.toString());
            gw.stop(); // the stop writes the snapshot too
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(prefix.resolve("data"))) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertFalse(files.isEmpty(), "the store wrote files");
        for (Path f : files) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(prefix.resolve("data"))),
                "and their directory");
    }
}
