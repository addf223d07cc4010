package dev.aigw.t.dropin;

import dev.aigw.testkit.EtcdProcess;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The migration check, {@code java -jar aigw.jar check -p prefix}, against a real etcd written with
 * etcd's own client ({@code etcdctl}), as an APISIX cluster's etcd would be: it lists exactly the
 * resources aigw cannot load, each with its reason, and exits 1; on a clean store it exits 0 with a
 * one-line summary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationCheckTest {

    private static final String UPSTREAM = "{\"type\":\"roundrobin\",\"nodes\":{\"127.0.0.1:1980\":1}}";

    private EtcdProcess etcd;
    private Path prefix;
    /** Temporary directories to remove at the end. */
    private final List<Path> made = new ArrayList<>();

    /** The check's outcome. */
    private record Run(int exit, String stdout, String stderr) {
        /** {@code key → reason} of every line that reports a resource. */
        Map<String, String> findings() {
            Map<String, String> out = new TreeMap<>();
            for (String line : stdout.split("\n")) {
                if (line.startsWith("/apisix/")) {
                    int sep = line.indexOf(": ");
                    out.put(line.substring(0, sep), line.substring(sep + 2));
                }
            }
            return out;
        }
    }

    @BeforeAll
    void start() throws IOException {
        etcd = EtcdProcess.start();
        prefix = Files.createTempDirectory("aigw-check-");
        made.add(prefix);
        Files.createDirectories(prefix.resolve("conf"));
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(prefix.resolve("conf/config.yaml"), GatewayConfig.create().etcd(etcd.endpoint()).toYaml());
    }

    @AfterAll
    void stop() throws IOException {
        if (etcd != null) {
            etcd.close();
        }
        for (Path dir : made) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void listsExactlyTheUnloadableResourcesThenPassesOnceTheyAreFixed() throws Exception {
        // loadable, as APISIX stores them
        etcdctl("put", "/apisix/upstreams/1", UPSTREAM);
        etcdctl("put", "/apisix/routes/1", "{\"id\":\"1\",\"uri\":\"/a\",\"enable_websocket\":true,\"upstream\":" + UPSTREAM + "}");
        etcdctl("put", "/apisix/routes/2", "{\"id\":\"2\",\"uri\":\"/b/*\",\"upstream_id\":\"1\","
                + "\"plugins\":{\"cors\":{},\"request-id\":{}}}");
        etcdctl("put", "/apisix/global_rules/1", "{\"id\":\"1\",\"plugins\":{\"request-id\":{}}}");
        // not loadable: one reason each
        etcdctl("put", "/apisix/routes/unknown-plugin", "{\"uri\":\"/c\",\"upstream_id\":\"1\","
                + "\"plugins\":{\"no-such-plugin\":{}}}");
        etcdctl("put", "/apisix/routes/missing-upstream", "{\"uri\":\"/d\",\"upstream_id\":\"404\"}");
        etcdctl("put", "/apisix/routes/bad-plugin-conf", "{\"uri\":\"/e\",\"upstream_id\":\"1\","
                + "\"plugins\":{\"cors\":{\"max_age\":\"one day\"}}}");
        etcdctl("put", "/apisix/routes/unsupported-field", "{\"uri\":\"/f\",\"upstream_id\":\"1\","
                + "\"filter_func\":\"function(vars) return true end\"}");
        etcdctl("put", "/apisix/upstreams/bad-port", "{\"type\":\"roundrobin\",\"nodes\":{\"127.0.0.1:99999\":1}}");
        etcdctl("put", "/apisix/routes/not-json", "{\"uri\":");
        etcdctl("put", "/apisix/stream_routes/1", "{\"server_port\":9100,\"upstream_id\":\"1\"}");

        Run run = check();
        assertEquals(1, run.exit(), run.stdout() + run.stderr());
        Map<String, String> f = run.findings();
        assertEquals(List.of("/apisix/routes/bad-plugin-conf", "/apisix/routes/missing-upstream",
                "/apisix/routes/not-json", "/apisix/routes/unknown-plugin", "/apisix/routes/unsupported-field",
                "/apisix/stream_routes/1", "/apisix/upstreams/bad-port"), new ArrayList<>(f.keySet()), run.stdout());
        assertEquals("unknown plugin [no-such-plugin]", f.get("/apisix/routes/unknown-plugin"));
        assertEquals("upstream_id 404 does not exist", f.get("/apisix/routes/missing-upstream"));
        assertTrue(f.get("/apisix/routes/bad-plugin-conf").startsWith(
                "failed to check the configuration of plugin cors err: "), f.toString());
        assertTrue(f.get("/apisix/routes/unsupported-field").contains("filter_func"), f.toString());
        assertEquals("invalid port 99999", f.get("/apisix/upstreams/bad-port"));
        assertEquals("not a JSON object", f.get("/apisix/routes/not-json"));
        assertEquals("resource kind 'stream_routes' is not supported by aigw", f.get("/apisix/stream_routes/1"));
        assertTrue(run.stdout().contains("7 of 11 resources in the etcd cannot be loaded"), run.stdout());

        // a gateway started on that etcd serves what it can and keeps reporting the rest, with the same reasons
        Path live = Files.createTempDirectory("aigw-check-live-");
        made.add(live);
        try (GatewayProcess gw = GatewayProcess.start(live, GatewayConfig.create().etcd(etcd.endpoint()))) {
            HttpResult report = gw.admin("GET", "/aigw/check", null);
            assertEquals(200, report.status(), report.body());
            Map<String, String> seen = new TreeMap<>();
            for (Object o : report.jsonObject().getJsonArray("problems")) {
                JsonObject p = (JsonObject) o;
                seen.put(p.getString("key"), p.getString("reason"));
            }
            assertEquals(f, seen, "the Admin API reports what the check found");
            assertEquals(7, report.jsonObject().getInteger("total"));
            for (String key : f.keySet()) {
                assertTrue(gw.awaitLog(key + " skipped: ", java.time.Duration.ofSeconds(10)), key + " is logged");
            }
            String log = gw.errorLog();
            for (String key : f.keySet()) {
                assertEquals(1, log.split(java.util.regex.Pattern.quote(key + " skipped: "), -1).length - 1,
                        key + " is logged once: " + log);
            }
        }

        for (String key : List.of("/apisix/routes/bad-plugin-conf", "/apisix/routes/unknown-plugin",
                "/apisix/routes/unsupported-field", "/apisix/upstreams/bad-port", "/apisix/routes/not-json",
                "/apisix/stream_routes/1")) {
            etcdctl("del", key);
        }
        etcdctl("put", "/apisix/upstreams/404", UPSTREAM); // the missing reference appears
        Run clean = check();
        assertEquals(0, clean.exit(), clean.stdout() + clean.stderr());
        assertEquals(Map.of(), clean.findings());
        assertEquals("aigw check: all 6 resources in the etcd can be loaded", clean.stdout().strip());
    }

    @Test
    void listsConsumersCredentialsAndGroupsWhosePluginsCannotBeBound() throws Exception {
        // an etcd prefix of its own: the other test's resources stay out of this one's list
        Path dir = Files.createTempDirectory("aigw-check-consumers-");
        made.add(dir);
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("logs"));
        GatewayConfig config = GatewayConfig.create().etcd(etcd.endpoint()).etcdPrefix("/consumers-check");
        Files.writeString(dir.resolve("conf/config.yaml"), config.toYaml());
        String p = "/consumers-check";
        etcdctl("put", p + "/consumers/jack", "{\"username\":\"jack\",\"plugins\":{\"key-auth\":{\"key\":\"k-jack\"}}}");
        // valid envelopes whose plugins cannot be bound: listed like a route whose plugin cannot be bound
        etcdctl("put", p + "/consumers/unknown-plugin",
                "{\"username\":\"unknown-plugin\",\"plugins\":{\"no-such-plugin\":{}}}");
        etcdctl("put", p + "/consumers/unknown-plugin/credentials/c1",
                "{\"id\":\"c1\",\"plugins\":{\"key-auth\":{\"key\":\"k-c1\"}}}");
        etcdctl("put", p + "/consumers/keyless", "{\"username\":\"keyless\",\"plugins\":{\"key-auth\":{}}}");
        etcdctl("put", p + "/consumer_groups/g1", "{\"id\":\"g1\",\"plugins\":{\"cors\":{\"max_age\":\"one day\"}}}");

        Run run = check(dir);
        assertEquals(1, run.exit(), run.stdout() + run.stderr());
        Map<String, String> f = new TreeMap<>();
        for (String line : run.stdout().split("\n")) {
            if (line.startsWith(p + "/")) {
                int sep = line.indexOf(": ");
                f.put(line.substring(0, sep), line.substring(sep + 2));
            }
        }
        assertEquals(List.of(p + "/consumer_groups/g1", p + "/consumers/keyless", p + "/consumers/unknown-plugin",
                p + "/consumers/unknown-plugin/credentials/c1"), new ArrayList<>(f.keySet()), run.stdout());
        assertEquals("unknown plugin [no-such-plugin]", f.get(p + "/consumers/unknown-plugin"));
        assertTrue(f.get(p + "/consumers/keyless").contains("key-auth"), f.toString());
        assertTrue(f.get(p + "/consumer_groups/g1").startsWith("failed to check the configuration of plugin cors err: "),
                f.toString());
        assertTrue(f.get(p + "/consumers/unknown-plugin/credentials/c1").contains("consumer unknown-plugin"), f.toString());

        // the Admin API of a gateway on that etcd lists the same entries; jack still authenticates
        Path live = Files.createTempDirectory("aigw-check-consumers-live-");
        made.add(live);
        try (GatewayProcess gw = GatewayProcess.start(live, config)) {
            HttpResult report = gw.admin("GET", "/aigw/check", null);
            assertEquals(200, report.status(), report.body());
            Map<String, String> seen = new TreeMap<>();
            for (Object o : report.jsonObject().getJsonArray("problems")) {
                JsonObject pr = (JsonObject) o;
                seen.put(pr.getString("key"), pr.getString("reason"));
            }
            assertEquals(f, seen, "the Admin API reports what the check found");
        }

        // fixed in place: the consumer binds now, so it leaves the list with its credential
        etcdctl("put", p + "/consumers/unknown-plugin",
                "{\"username\":\"unknown-plugin\",\"plugins\":{\"key-auth\":{\"key\":\"k-u\"}}}");
        etcdctl("del", p + "/consumers/keyless");
        etcdctl("del", p + "/consumer_groups/g1");
        Run clean = check(dir);
        assertEquals(0, clean.exit(), clean.stdout() + clean.stderr());
        assertFalse(clean.stdout().contains(p + "/"), clean.stdout());
    }

    @Test
    void readsTheBuiltInStoreWithoutWritingToIt() throws Exception {
        Path dir = Files.createTempDirectory("aigw-check-builtin-");
        made.add(dir);
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("conf/config.yaml"), GatewayConfig.create().builtinStore().toYaml());
        // an upstream with APISIX's health checks (active and passive) loads as it is
        String ok = "{\"uri\":\"/ok\",\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"127.0.0.1:1980\":1},"
                + "\"checks\":{\"active\":{\"http_path\":\"/status\",\"healthy\":{\"interval\":2,\"successes\":1},"
                + "\"unhealthy\":{\"interval\":1,\"http_failures\":2}},"
                + "\"passive\":{\"unhealthy\":{\"http_statuses\":[500],\"http_failures\":3}}}}}";
        Path store = dir.resolve("data/store.json");
        Files.writeString(store, "{\"revision\":1,\"entries\":[{\"key\":\"/apisix/routes/ok\",\"value\":"
                + quote(ok) + ",\"create_revision\":1,\"mod_revision\":1}]}");
        // a change a running gateway journaled, then a change it is still writing (no newline yet)
        Path journal = dir.resolve("data/store.json.journal");
        Files.writeString(journal, "{\"r\":2,\"k\":\"/apisix/routes/bad\",\"v\":"
                + quote("{\"uri\":\"/bad\",\"plugins\":{\"no-such-plugin\":{}}}") + ",\"c\":2}\n{\"r\":3,\"k\":");
        byte[] storeBefore = Files.readAllBytes(store);
        byte[] journalBefore = Files.readAllBytes(journal);

        Run run = check(dir);
        assertEquals(1, run.exit(), run.stdout() + run.stderr());
        assertEquals(Map.of("/apisix/routes/bad", "unknown plugin [no-such-plugin]"), run.findings());
        assertTrue(run.stdout().contains("1 of 2 resources in the built-in store cannot be loaded"), run.stdout());
        assertTrue(java.util.Arrays.equals(storeBefore, Files.readAllBytes(store)), "the store file is untouched");
        assertTrue(java.util.Arrays.equals(journalBefore, Files.readAllBytes(journal)),
                "the journal a live gateway appends to is neither trimmed nor folded");
    }

    private static String quote(String s) {
        return io.vertx.core.json.Json.encode(s);
    }

    private Run check() throws Exception {
        return check(prefix);
    }

    private Run check(Path prefix) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-jar", System.getProperty("aigw.jar"), "check", "-p", prefix.toString());
        Path out = Files.createTempFile(prefix, "check-", ".out");
        Path err = Files.createTempFile(prefix, "check-", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("check did not finish in 90 s: " + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** etcd's own command-line client against the test etcd (ETCDCTL_API=3). */
    private void etcdctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + etcd.endpoint()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ETCDCTL_API", "3");
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("etcdctl " + String.join(" ", args) + " did not finish");
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "etcdctl " + String.join(" ", args) + ": " + output);
    }
}
