package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisCluster;
import dev.aigw.testkit.RedisProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * limit-count and ai-rate-limiting with {@code policy: redis-cluster} on a real three-master Redis
 * Cluster, two gateway processes sharing it: the counters are shared, keys spread over the masters'
 * slots, the sliding window's two keys stay in one slot, a token budget holds across the nodes.
 */
class RedisClusterLimitsTest {

    static MockLlm llm;
    static RedisCluster cluster;
    static final List<GatewayProcess> gws = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        llm = new MockLlm();
        llm.respond("/plain", (req, rec) -> req.response().end("ok"));
        cluster = RedisCluster.start();
        List<CompletableFuture<GatewayProcess>> starting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return GatewayProcess.builder(Files.createTempDirectory("aigw-t-cluster-"))
                            .startTimeout(Duration.ofSeconds(120)).config(GatewayConfig.create()
                                    .set("nginx_config.http.access_log_format", "$http_x_tag $status")).start();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<GatewayProcess> f : starting) {
            gws.add(f.get(150, TimeUnit.SECONDS));
        }
    }

    @AfterAll
    static void stop() {
        gws.forEach(Probe::close);
        if (cluster != null) {
            cluster.close();
        }
        if (llm != null) {
            llm.close();
        }
    }

    /** APISIX's redis-cluster fields. */
    static JsonObject clusterPolicy(JsonObject conf) {
        return conf.put("policy", "redis-cluster").put("redis_cluster_nodes", new JsonArray(cluster.endpoints()))
                .put("redis_cluster_name", "aigw-test").put("redis_timeout", 3000);
    }

    /** The same route on both nodes. */
    static void route(String id, JsonObject plugins, boolean upstream) {
        JsonObject r = new JsonObject().put("uri", "/" + id + (upstream ? "/plain" : "/v1/chat/completions"))
                .put("plugins", plugins);
        if (upstream) {
            plugins.put("proxy-rewrite", new JsonObject().put("uri", "/plain"));
            r.put("upstream", new JsonObject().put("type", "roundrobin")
                    .put("nodes", new JsonObject().put(llm.hostPort(), 1)));
        }
        for (GatewayProcess gw : gws) {
            HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
            assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
            Probe.await(gw, llm);
        }
    }

    static HttpResult get(int node, String id, String user) {
        return gws.get(node).http("GET", "/" + id + "/plain", null, "X-User", user);
    }

    @Test
    void limitCountIsSharedByTwoGatewaysAndSpreadOverTheSlots() {
        route("lc", new JsonObject().put("limit-count", clusterPolicy(new JsonObject().put("count", 3)
                .put("time_window", 60).put("key_type", "var").put("key", "http_x_user"))), true);
        String[] users = {"ann", "bob", "cid", "dee", "eve", "fay"};
        for (String u : users) {
            HttpResult r1 = get(0, "lc", u);
            assertEquals(200, r1.status(), r1.toString());
            assertEquals("3", r1.header("X-RateLimit-Limit"));
            assertEquals("2", r1.header("X-RateLimit-Remaining"), u);
            double reset = Double.parseDouble(r1.header("X-RateLimit-Reset"));
            assertTrue(reset > 0 && reset <= 60, "reset " + reset);
            assertEquals("1", get(1, "lc", u).header("X-RateLimit-Remaining"), u + " on the other node");
            assertEquals("0", get(0, "lc", u).header("X-RateLimit-Remaining"), u);
            HttpResult refused = get(1, "lc", u);
            assertEquals(503, refused.status(), u + ": the fourth request, on either node, is refused");
            assertEquals("0", refused.header("X-RateLimit-Remaining"));
        }
        // one counter per user under APISIX's key layout, on the master that owns its slot
        int total = 0;
        int nodesWithKeys = 0;
        for (RedisProcess n : cluster.nodes()) {
            String keys = n.query("KEYS", "plugin-limit-count:v1:*");
            int here = keys.isEmpty() ? 0 : keys.split("\n").length;
            for (String k : keys.isEmpty() ? new String[0] : keys.split("\n")) {
                assertEquals(n, cluster.nodeFor(k), "key " + k + " on the master of its slot");
                assertEquals("4", n.query("GET", k), k + ": the four requests, from both nodes, counted on one key");
            }
            total += here;
            nodesWithKeys += here > 0 ? 1 : 0;
        }
        assertEquals(users.length, total, "one counter per user");
        assertTrue(nodesWithKeys >= 2, "the keys spread over several masters (slots), not one");
    }

    @Test
    void slidingWindowKeepsItsTwoKeysInOneSlot() {
        route("sl", new JsonObject().put("limit-count", clusterPolicy(new JsonObject().put("count", 2)
                .put("time_window", 60).put("window_type", "sliding"))), true);
        HttpResult r1 = get(0, "sl", "x");
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("1", r1.header("X-RateLimit-Remaining"));
        assertEquals(200, get(1, "sl", "x").status());
        assertEquals(503, get(0, "sl", "x").status(), "the third in the window is refused on either node");
    }

    static final String INSTANCE = "ai-proxy-openai-compatible";

    static HttpResult chat(int node, String id, String tag) {
        JsonObject body = new JsonObject().put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        GatewayProcess gw = gws.get(node);
        HttpResult r = gw.http("POST", "/" + id + "/v1/chat/completions", body.encode(),
                "X-Mock-Prompt-Tokens", "4", "X-Mock-Completion-Tokens", "6", "X-Tag", tag);
        // the access log line comes after the log phase (which, with Redis, sends the usage on its way)
        assertTrue(MockLlm.await(() -> gw.accessLogLines().stream().anyMatch(l -> l.startsWith(tag + " ")),
                Duration.ofSeconds(10)), "request " + tag + " not logged");
        return r;
    }

    /** The tokens ai-rate-limiting counted for route {@code id}, over every master's keys. */
    static long tokensCounted(String id) {
        long sum = 0;
        for (RedisProcess n : cluster.nodes()) {
            String keys = n.query("KEYS", "plugin-ai-rate-limiting:v1:/apisix/routes/" + id + ":*");
            for (String k : keys.isEmpty() ? new String[0] : keys.split("\n")) {
                sum += Long.parseLong(n.query("GET", k).trim());
            }
        }
        return sum;
    }

    static JsonObject aiProxy() {
        return new JsonObject().put("provider", "openai-compatible")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-t")))
                .put("options", new JsonObject().put("model", "gpt-4o-mini"))
                .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions"));
    }

    @Test
    void aiRateLimitingTokenBudgetHoldsAcrossTwoGateways() {
        // APISIX's sequence (t/plugin/ai-rate-limiting.t: limit 30, 10 tokens each), alternating nodes
        route("ai", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting",
                clusterPolicy(new JsonObject().put("limit", 30).put("time_window", 60).put("reserve", false))), false);
        String[] expected = {"30", "20", "10"};
        for (int i = 0; i < 3; i++) {
            HttpResult r = chat(i % 2, "ai", "ai-" + i);
            assertEquals(200, r.status(), r.toString());
            assertEquals("30", r.header("X-AI-RateLimit-Limit-" + INSTANCE));
            assertEquals(expected[i], r.header("X-AI-RateLimit-Remaining-" + INSTANCE), "request " + (i + 1));
            // the log phase's count goes to Redis asynchronously: the next request must find it there
            long spent = 10L * (i + 1);
            assertTrue(MockLlm.await(() -> tokensCounted("ai") == spent, Duration.ofSeconds(10)),
                    "tokens counted in Redis: " + tokensCounted("ai") + ", expected " + spent);
        }
        int before = llm.count(MockLlm.Kind.CHAT);
        HttpResult r = chat(1, "ai", "ai-3");
        assertEquals(503, r.status(), "the budget spent on both nodes together refuses the next");
        assertEquals("0", r.header("X-AI-RateLimit-Remaining-" + INSTANCE));
        assertEquals(before, llm.count(MockLlm.Kind.CHAT), "a refused request never reaches the provider");
        assertEquals(503, chat(0, "ai", "ai-4").status(), "refused on the first node too");
    }

    @Test
    void reservationsOnTheClusterHoldAConcurrentBurst() throws Exception {
        // each request reserves its prompt estimate + max_tokens 20 (never less than the real 25)
        route("burst", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting",
                clusterPolicy(new JsonObject().put("limit", 4 * 25).put("time_window", 120))), false);
        List<CompletableFuture<HttpResult>> fs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int node = i % 2;
            JsonObject body = new JsonObject().put("max_tokens", 20).put("messages", new JsonArray()
                    .add(new JsonObject().put("role", "user").put("content", "hi")));
            fs.add(CompletableFuture.supplyAsync(() -> gws.get(node).http("POST", "/burst/v1/chat/completions",
                    body.encode(), "X-Mock-Prompt-Tokens", "5", "X-Mock-Completion-Tokens", "20",
                    "X-Mock-Delay-Ms", "1000")));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResult> f : fs) {
            statuses.add(f.get(60, TimeUnit.SECONDS).status());
        }
        long ok = statuses.stream().filter(s -> s == 200).count();
        assertTrue(ok >= 1 && ok <= 4, "passed " + ok + " of 12: " + statuses);
        assertEquals(12 - ok, statuses.stream().filter(s -> s == 503).count(), "the others refused: " + statuses);
    }

    /** The master that holds the only counter of {@code route} for {@code user}. */
    static RedisProcess holder(RedisCluster c, String route, String user) {
        for (RedisProcess n : c.nodes()) {
            if (!n.query("KEYS", "plugin-limit-count:v1:/apisix/routes/" + route + ":*:" + user).isEmpty()) {
                return n;
            }
        }
        return null;
    }

    /**
     * A cluster whose nodes require {@code redis_password}; one master killed: a counter on it follows
     * {@code allow_degradation} (500 "failed to limit count", or passed without headers), nothing hangs,
     * and counting resumes once the node is back in the cluster.
     */
    @Test
    void passwordProtectedClusterAndANodeOutage() {
        try (RedisCluster secured = RedisCluster.start("c-secret")) {
            JsonObject strict = new JsonObject().put("count", 100).put("time_window", 60).put("key_type", "var")
                    .put("key", "http_x_user").put("policy", "redis-cluster")
                    .put("redis_cluster_nodes", new JsonArray(secured.endpoints())).put("redis_cluster_name", "sec")
                    .put("redis_password", "c-secret").put("redis_timeout", 2000);
            route("sec", new JsonObject().put("limit-count", strict), true);
            route("secl", new JsonObject().put("limit-count", strict.copy().put("allow_degradation", true)), true);
            String[] users = {"ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal"};
            for (String u : users) {
                assertEquals("99", get(0, "sec", u).header("X-RateLimit-Remaining"), u);
                assertEquals("99", get(0, "secl", u).header("X-RateLimit-Remaining"), u);
            }
            RedisProcess victim = holder(secured, "sec", "ann");
            String lenientUser = null;
            for (String u : users) {
                if (holder(secured, "secl", u) == victim) {
                    lenientUser = u;
                    break;
                }
            }
            assertTrue(victim != null && lenientUser != null, "counters on the node to be stopped");
            victim.stop();
            try {
                long t0 = System.nanoTime();
                HttpResult s = get(0, "sec", "ann");
                assertEquals(500, s.status(), s.toString());
                assertEquals("failed to limit count", s.jsonObject().getString("error_msg"));
                HttpResult l = get(0, "secl", lenientUser);
                assertEquals(200, l.status(), "allow_degradation lets traffic through while the node is away");
                assertEquals(null, l.header("X-RateLimit-Limit"));
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos(), "no hung request");
            } finally {
                victim.restart();
            }
            secured.awaitOk();
            assertTrue(MockLlm.await(() -> get(0, "sec", "ann").status() == 200, Duration.ofSeconds(30)),
                    "the gateway counts on the node again once it is back in the cluster");
            assertEquals("100", get(0, "sec", "ann").header("X-RateLimit-Limit"));
        }
    }
}
