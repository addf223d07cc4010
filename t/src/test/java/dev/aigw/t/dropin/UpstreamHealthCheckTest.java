package dev.aigw.t.dropin;

import dev.aigw.t.GatewayExtension;
import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * APISIX's {@code upstream.checks} on plain upstreams, against two real HTTP servers (A and B) started
 * by the test: an active probe takes a node out and brings it back, a passive check counts 5xx answers,
 * all nodes unhealthy means all nodes are used (APISIX), an upstream shared through {@code upstream_id}
 * has one prober per node however many routes use it and however often they change, and bad
 * {@code checks} are refused with APISIX's error.
 */
class UpstreamHealthCheckTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    private static Vertx vertx;

    /** One upstream node: answers its name on every path but {@code /health}; both statuses settable. */
    private static final class Node {
        final String name;
        final HttpServer server;
        volatile int healthStatus = 200;
        volatile int appStatus = 200;
        final AtomicInteger probes = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();

        Node(String name) throws Exception {
            this.name = name;
            this.server = vertx.createHttpServer().requestHandler(req -> {
                if (req.path().equals("/health")) {
                    probes.incrementAndGet();
                    req.response().setStatusCode(healthStatus).end("health " + name);
                } else {
                    requests.incrementAndGet();
                    req.response().setStatusCode(appStatus).end(name);
                }
            }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        String addr() {
            return "127.0.0.1:" + server.actualPort();
        }

        void reset() {
            healthStatus = 200;
            appStatus = 200;
        }
    }

    private static Node a;
    private static Node b;

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    @BeforeAll
    static void servers() throws Exception {
        vertx = Vertx.vertx();
        a = new Node("A");
        b = new Node("B");
    }

    @AfterAll
    static void stopServers() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void healthyNodes() {
        a.reset();
        b.reset();
    }

    @AfterEach
    void dropRoutes() {
        for (String id : new String[] {"hc-active", "hc-chash", "hc-passive", "hc-all", "hc-s1", "hc-s2"}) {
            gw().admin("DELETE", "/routes/" + id, null);
        }
        gw().admin("DELETE", "/upstreams/hc-shared", null);
        eventually("no prober left once no route uses a checked upstream", () -> probers() == 0);
    }

    private static JsonObject upstream(JsonObject checks) {
        return new JsonObject().put("type", "roundrobin")
                .put("nodes", new JsonObject().put(a.addr(), 1).put(b.addr(), 1))
                .put("checks", checks);
    }

    /** Active checks every second; one failed or successful probe flips the node. */
    private static JsonObject fastActive() {
        return new JsonObject().put("type", "http").put("http_path", "/health").put("timeout", 1)
                .put("healthy", new JsonObject().put("interval", 1).put("successes", 1))
                .put("unhealthy", new JsonObject().put("interval", 1).put("http_failures", 1));
    }

    private static void route(String id, String uri, JsonObject routeUpstream, String upstreamId) {
        JsonObject r = new JsonObject().put("uri", uri);
        if (routeUpstream != null) {
            r.put("upstream", routeUpstream);
        } else {
            r.put("upstream_id", upstreamId);
        }
        HttpResult put = gw().admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "stored: " + put);
        eventually("route " + id + " live", () -> !gw().http("GET", uri, null).body().contains("Route Not Found"));
    }

    /** The healthcheck endpoint's entries. */
    private static JsonObject health() {
        HttpResult r = gw().admin("GET", "/aigw/healthcheck", null);
        assertEquals(200, r.status(), r.body());
        return r.jsonObject();
    }

    private static int probers() {
        return health().getInteger("probers");
    }

    /**
     * Status of {@code node} in the listed upstreams ("healthy"/"unhealthy"): the common status when every
     * upstream listing it agrees, "mixed" when they do not, null when none lists it.
     */
    private static String status(Node node) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Object u : health().getJsonArray("list")) {
            for (Object n : ((JsonObject) u).getJsonArray("nodes")) {
                JsonObject nj = (JsonObject) n;
                if (nj.getInteger("port") == node.server.actualPort()) {
                    seen.add(nj.getString("status"));
                }
            }
        }
        return seen.isEmpty() ? null : seen.size() == 1 ? seen.iterator().next() : "mixed";
    }

    /** Who answered {@code n} requests to {@code uri}: name → count (all must be 200 unless {@code anyStatus}). */
    private static Map<String, Integer> spread(String uri, int n) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            HttpResult r = gw().http("GET", uri, null);
            assertEquals(200, r.status(), r.body());
            seen.merge(r.body(), 1, Integer::sum);
        }
        return seen;
    }

    /** The value of {@code apisix_upstream_status{name="upstreams/hc-shared", ip, port}} for {@code node}. */
    private static double upstreamStatus(String metrics, Node node) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("apisix_upstream_status{") && line.contains("name=\"upstreams/hc-shared\"")
                    && line.contains("ip=\"127.0.0.1\"") && line.contains("port=\"" + node.server.actualPort() + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    private static void eventually(String what, BooleanSupplier check) {
        Pause.until(what, Duration.ofSeconds(20), 100, check);
    }

    @Test
    void activeCheckTakesAFailingNodeOutAndBringsItBack() {
        route("hc-active", "/hc/active", upstream(new JsonObject().put("active", fastActive())), null);
        // the same nodes behind consistent hashing: a key that hashes to A must move to B
        route("hc-chash", "/hc/chash", upstream(new JsonObject().put("active", fastActive()))
                .put("type", "chash").put("hash_on", "header").put("key", "x-user"), null);
        eventually("both nodes probed", () -> a.probes.get() > 0 && b.probes.get() > 0);
        assertEquals(Map.of("A", 5, "B", 5), spread("/hc/active", 10), "both healthy: round robin over both");
        Map<String, Integer> byKey = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            byKey.merge(gw().http("GET", "/hc/chash", null, "x-user", "u" + i).body(), 1, Integer::sum);
        }
        assertEquals(java.util.Set.of("A", "B"), byKey.keySet(), "20 keys spread over both nodes: " + byKey);

        a.healthStatus = 503;
        eventually("A marked unhealthy", () -> "unhealthy".equals(status(a)));
        assertEquals("healthy", status(b));
        assertEquals(Map.of("B", 10), spread("/hc/active", 10), "all traffic to the healthy node");
        byKey.clear();
        for (int i = 0; i < 20; i++) {
            HttpResult r = gw().http("GET", "/hc/chash", null, "x-user", "u" + i);
            assertEquals(200, r.status(), r.body());
            byKey.merge(r.body(), 1, Integer::sum);
        }
        assertEquals(Map.of("B", 20), byKey, "chash: the keys of the unhealthy node go to the next healthy one");

        a.healthStatus = 200;
        eventually("A marked healthy again", () -> "healthy".equals(status(a)));
        assertTrue(spread("/hc/active", 10).getOrDefault("A", 0) > 0, "A takes traffic again");

        JsonObject entry = health().getJsonArray("list").getJsonObject(0);
        assertEquals("http", entry.getString("type"));
        JsonObject node = entry.getJsonArray("nodes").getJsonObject(0);
        assertEquals("127.0.0.1", node.getString("ip"));
        assertTrue(node.getJsonObject("counter").containsKey("http_failure"), node.encode());
    }

    @Test
    void passiveCheckCountsServerErrorsOfProxiedRequests() {
        // probes are slow here (30 s), so only the proxied answers can take A out within the test
        JsonObject active = fastActive()
                .put("healthy", new JsonObject().put("interval", 30).put("successes", 2))
                .put("unhealthy", new JsonObject().put("interval", 30).put("http_failures", 2));
        JsonObject passive = new JsonObject()
                .put("unhealthy", new JsonObject().put("http_statuses", new JsonArray().add(500)).put("http_failures", 2));
        route("hc-passive", "/hc/passive", upstream(new JsonObject().put("active", active).put("passive", passive)), null);

        a.appStatus = 500;
        int fivexx = 0;
        for (int i = 0; i < 10 && !"unhealthy".equals(status(a)); i++) {
            if (gw().http("GET", "/hc/passive", null).status() == 500) {
                fivexx++;
            }
        }
        assertEquals("unhealthy", status(a), "two 500 answers from A take it out");
        assertEquals(2, fivexx, "exactly http_failures answers reached the client before A was taken out");
        assertEquals(Map.of("B", 10), spread("/hc/passive", 10));
    }

    @Test
    void allNodesUnhealthyMeansAllNodesAreUsed() {
        route("hc-all", "/hc/all", upstream(new JsonObject().put("active", fastActive())), null);
        a.healthStatus = 500;
        b.healthStatus = 500;
        eventually("both marked unhealthy", () -> "unhealthy".equals(status(a)) && "unhealthy".equals(status(b)));
        // APISIX: "all upstream nodes is unhealthy, use default" — the picker gets every node
        assertEquals(Map.of("A", 5, "B", 5), spread("/hc/all", 10));
        assertTrue(gw().awaitLog("are unhealthy, using all of them", Duration.ofSeconds(5)), gw().outputTail(20));
    }

    @Test
    void anUpstreamSharedByRoutesHasOneProberPerNodeThroughRouteChurn() {
        JsonObject up = upstream(new JsonObject().put("active", fastActive()));
        HttpResult put = gw().admin("PUT", "/upstreams/hc-shared", up.encode());
        assertTrue(put.status() == 200 || put.status() == 201, put.toString());
        route("hc-s1", "/hc/s1", null, "hc-shared");
        route("hc-s2", "/hc/s2", null, "hc-shared");
        assertEquals(2, probers(), "one prober per node, not per route");
        JsonObject h = health();
        assertEquals(1, h.getInteger("total"), h.encode());
        assertEquals("upstreams/hc-shared", h.getJsonArray("list").getJsonObject(0).getString("name"));

        for (int i = 0; i < 5; i++) {
            route("hc-s1", "/hc/s1-" + i, null, "hc-shared");
            route("hc-s2", "/hc/s2-" + i, null, "hc-shared");
        }
        assertEquals(2, probers(), "re-PUT routes reuse the upstream's probers");

        a.healthStatus = 503;
        eventually("A out", () -> "unhealthy".equals(status(a)));
        assertEquals(Map.of("B", 6), spread("/hc/s1-4", 6));
        assertEquals(Map.of("B", 6), spread("/hc/s2-4", 6), "both routes see the one shared state");
        // APISIX's prometheus gauge: upstream_status{name, ip, port} 1 healthy / 0 unhealthy
        String metrics = gw().send("GET", "http://127.0.0.1:" + gw().config().metricsPort()
                + "/apisix/prometheus/metrics", null, Map.of()).body();
        assertEquals(0.0, upstreamStatus(metrics, a), metrics);
        assertEquals(1.0, upstreamStatus(metrics, b), metrics);

        // a changed upstream (an inline copy on one route) gets its own probers; the old ones stop with their last user
        route("hc-s1", "/hc/s1", upstream(new JsonObject().put("active", fastActive().put("http_path", "/health?x"))),
                null);
        eventually("two upstreams, one prober per node each", () -> probers() == 4);
        gw().admin("DELETE", "/routes/hc-s2", null);
        eventually("the shared upstream's probers stop with its last route", () -> probers() == 2);
    }

    @Test
    void badChecksAreRefusedWithApisixErrors() {
        List<JsonObject> bad = new ArrayList<>();
        bad.add(new JsonObject().put("passive", new JsonObject())); // passive needs active
        bad.add(new JsonObject().put("active", new JsonObject().put("type", "udp")));
        bad.add(new JsonObject().put("active", new JsonObject()
                .put("healthy", new JsonObject().put("successes", 0))));
        bad.add(new JsonObject().put("active", new JsonObject()
                .put("unhealthy", new JsonObject().put("http_statuses", new JsonArray().add(100)))));
        List<String> msgs = new ArrayList<>();
        for (JsonObject checks : bad) {
            JsonObject r = new JsonObject().put("uri", "/hc/bad").put("upstream", upstream(checks));
            HttpResult put = gw().admin("PUT", "/routes/hc-bad", r.encode());
            assertEquals(400, put.status(), checks.encode() + " → " + put.body());
            String msg = put.jsonObject().getString("error_msg");
            assertTrue(msg.startsWith("invalid configuration: property \"upstream\" validation failed: "
                    + "property \"checks\" validation failed: "), msg);
            msgs.add(msg);
        }
        assertEquals("invalid configuration: property \"upstream\" validation failed: property \"checks\" "
                + "validation failed: property \"active\" validation failed: property \"type\" validation failed: "
                + "matches none of the enum values", msgs.get(1));
        assertEquals(404, gw().admin("GET", "/routes/hc-bad", null).status(), "nothing stored");
        assertEquals(400, gw().admin("PUT", "/upstreams/hc-bad", upstream(bad.get(0)).encode()).status());
    }
}
