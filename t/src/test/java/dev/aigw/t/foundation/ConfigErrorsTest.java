package dev.aigw.t.foundation;

import dev.aigw.testkit.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broken {@code conf/config.yaml} stops the start: the process exits non-zero with one clear line
 * that names the problem (the key, or the place in the file), and no stack trace.
 */
class ConfigErrorsTest {

    /** Exit code and everything the process printed. */
    private record Run(int code, String output) {
    }

    private static Run run(Path prefix, String yaml) throws Exception {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/config.yaml"), yaml, StandardCharsets.UTF_8);
        Path out = prefix.resolve("out.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-jar", System.getProperty("aigw.jar"), "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the gateway did not exit on a broken config:\n" + read(out));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), read(out));
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void assertOneClearError(Run r, String... mustName) {
        assertNotEquals(0, r.code(), "non-zero exit:\n" + r.output());
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        List<String> errors = lines.stream().filter(l -> l.contains("invalid configuration")).toList();
        assertEquals(1, errors.size(), "one error line:\n" + r.output());
        for (String word : mustName) {
            assertTrue(errors.get(0).contains(word), "the message names " + word + ": " + errors.get(0));
        }
        assertFalse(r.output().contains("\tat ") || r.output().contains("Exception"), "no stack trace:\n" + r.output());
    }

    @Test
    void badYaml(@TempDir Path prefix) throws Exception {
        Run r = run(prefix, "apisix:\n  node_listen: [9080\ndeployment:\n  role: traditional\n");
        assertOneClearError(r, "config.yaml", "line");
    }

    @Test
    void wrongTypeNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("apisix.enable_admin", "sometimes");
        assertOneClearError(run(prefix, c.toYaml()), "apisix.enable_admin");
    }

    @Test
    void wrongPortTypeNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("deployment.admin.admin_listen.port", "not-a-port");
        assertOneClearError(run(prefix, c.toYaml()), "deployment.admin.admin_listen.port");
    }

    @Test
    void unknownConfigProviderNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("deployment.role_traditional.config_provider", "zookeeper");
        assertOneClearError(run(prefix, c.toYaml()), "deployment.role_traditional.config_provider", "zookeeper");
    }

    @Test
    void pluginAttrNotAMappingNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("plugin_attr.ai-request-log", "postgres://u:secret@127.0.0.1/x");
        Run r = run(prefix, c.toYaml());
        assertOneClearError(r, "plugin_attr.ai-request-log must be a mapping");
        assertFalse(r.output().contains("secret"), "the value is not repeated:\n" + r.output());
    }

    @Test
    void badTokenCountCacheSizeNamesTheKey(@TempDir Path prefix) throws Exception {
        // read by the plugin at init, after the config file was accepted: still one clear line
        GatewayConfig c = GatewayConfig.create().set("plugin_attr.ai-rate-limiting.token_count_cache_chars", "lots");
        assertOneClearError(run(prefix, c.toYaml()), "plugin_attr.ai-rate-limiting.token_count_cache_chars", "lots");
    }

    @Test
    void badMetricsCapNamesTheKey(@TempDir Path prefix) throws Exception {
        // read by the core when it creates the metrics registry, before any plugin
        GatewayConfig c = GatewayConfig.create().set("plugin_attr.prometheus.max_series", "many");
        assertOneClearError(run(prefix, c.toYaml()), "plugin_attr.prometheus.max_series", "many");
    }

    @Test
    void badPrometheusExtraLabelNamesTheKey(@TempDir Path prefix) throws Exception {
        GatewayConfig c = GatewayConfig.create().set("plugin_attr.prometheus.metrics.http_status.extra_labels",
                List.of(java.util.Map.of("bad-name", "$remote_addr")));
        assertOneClearError(run(prefix, c.toYaml()), "plugin_attr.prometheus.metrics.http_status.extra_labels", "bad-name");
    }
}
