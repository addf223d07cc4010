package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * limit-count as APISIX's test suite sees it (t/plugin/limit-count*.t): header values over a
 * sequence, rejected_code/msg, per-key counters, rules, the sliding window, counters reset by a
 * configuration change, and the Redis policy including an outage.
 */
class LimitCountTest {

    static MockLlm upstream;
    static RedisProcess redis;
    static GatewayProcess gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = new MockLlm();
        upstream.respond("/plain", (req, rec) -> req.response().end("ok"));
        redis = RedisProcess.start();
        gw = GatewayProcess.builder(Files.createTempDirectory("aigw-t-limit-count-")).startTimeout(Duration.ofSeconds(90)).config(GatewayConfig.create()).start();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            Probe.close(gw);
        }
        if (redis != null) {
            redis.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** PUTs {@code /<id>/plain} → the mock, with limit-count {@code conf}, and waits until it is served. */
    static void route(String id, JsonObject conf) {
        JsonObject r = new JsonObject().put("uri", "/" + id + "/plain")
                .put("plugins", new JsonObject().put("limit-count", conf)
                        .put("proxy-rewrite", new JsonObject().put("uri", "/plain")))
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(upstream.hostPort(), 1)));
        HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
        Probe.await(gw, upstream);
    }

    static HttpResult get(String id, String... headers) {
        return gw.http("GET", "/" + id + "/plain", null, headers);
    }

    static JsonObject conf(int count, int window) {
        return new JsonObject().put("count", count).put("time_window", window);
    }

    @Test
    void headersOverASequenceThenTheDefaultRejection() {
        route("seq", conf(2, 60));
        long before = plainCount();
        HttpResult r1 = get("seq");
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("ok", r1.body());
        assertEquals("2", r1.header("X-RateLimit-Limit"));
        assertEquals("1", r1.header("X-RateLimit-Remaining"));
        double reset = Double.parseDouble(r1.header("X-RateLimit-Reset"));
        assertTrue(reset > 0 && reset <= 60, "reset " + reset);
        HttpResult r2 = get("seq");
        assertEquals(200, r2.status());
        assertEquals("0", r2.header("X-RateLimit-Remaining"));
        HttpResult r3 = get("seq");
        assertEquals(503, r3.status(), "APISIX's default rejected_code");
        assertEquals("2", r3.header("X-RateLimit-Limit"));
        assertEquals("0", r3.header("X-RateLimit-Remaining"));
        assertEquals(2, plainCount() - before, "the refused request never reached the upstream");
    }

    static long plainCount() {
        return upstream.requests().stream().filter(q -> q.path().equals("/plain")).count();
    }

    /**
     * As APISIX, a counter belongs to the resource the limit was written in: a consumer's limit holds
     * across every route the consumer calls, a service's across the service's routes.
     */
    @Test
    void aConsumersLimitHoldsAcrossRoutesAndAServicesAcrossItsRoutes() {
        JsonObject upstreamConf = new JsonObject().put("type", "roundrobin")
                .put("nodes", new JsonObject().put(upstream.hostPort(), 1));
        JsonObject rewrite = new JsonObject().put("uri", "/plain");
        assertTrue(gw.admin("PUT", "/consumers", new JsonObject().put("username", "quota_jack")
                .put("plugins", new JsonObject().put("key-auth", new JsonObject().put("key", "quota-jack-key"))
                        .put("limit-count", conf(2, 60))).encode()).status() < 300);
        for (String id : new String[] {"cq1", "cq2"}) {
            assertTrue(gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", "/" + id + "/plain")
                    .put("plugins", new JsonObject().put("key-auth", new JsonObject()).put("proxy-rewrite", rewrite))
                    .put("upstream", upstreamConf).encode()).status() < 300);
        }
        assertTrue(gw.admin("PUT", "/services/sq", new JsonObject().put("upstream", upstreamConf)
                .put("plugins", new JsonObject().put("limit-count", conf(2, 60))).encode()).status() < 300);
        for (String id : new String[] {"sq1", "sq2"}) {
            assertTrue(gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", "/" + id + "/plain")
                    .put("service_id", "sq").put("plugins", new JsonObject().put("proxy-rewrite", rewrite))
                    .encode()).status() < 300);
        }
        Probe.await(gw, upstream);

        assertEquals(200, get("cq1", "apikey", "quota-jack-key").status());
        HttpResult second = get("cq2", "apikey", "quota-jack-key");
        assertEquals(200, second.status());
        assertEquals("0", second.header("X-RateLimit-Remaining"), "the other route counts on the consumer's counter");
        assertEquals(503, get("cq1", "apikey", "quota-jack-key").status(), "the consumer's two are spent, whichever route");

        assertEquals(200, get("sq1").status());
        assertEquals(200, get("sq2").status());
        assertEquals(503, get("sq2").status(), "the service's two are spent by its routes together");
    }

    @Test
    void rejectedCodeAndMessage() {
        route("msg", conf(1, 60).put("rejected_code", 429).put("rejected_msg", "Requests are too frequent")
                .put("show_limit_quota_header", false));
        HttpResult r1 = get("msg");
        assertEquals(200, r1.status());
        assertNull(r1.header("X-RateLimit-Limit"), "show_limit_quota_header false hides the headers");
        HttpResult r2 = get("msg");
        assertEquals(429, r2.status());
        assertEquals("Requests are too frequent", r2.jsonObject().getString("error_msg"));
    }

    @Test
    void countersPerKeyAndPerVariableCombination() {
        route("perkey", conf(1, 60).put("key", "http_x_user"));
        assertEquals(200, get("perkey", "X-User", "alice").status());
        assertEquals(200, get("perkey", "X-User", "bob").status(), "bob has his own counter");
        assertEquals(503, get("perkey", "X-User", "alice").status());
        assertEquals(503, get("perkey", "X-User", "bob").status());
        // no X-User: APISIX falls back to the client address, a counter of its own
        assertEquals(200, get("perkey").status());

        route("combo", conf(1, 60).put("key", "$http_x_user $http_x_team").put("key_type", "var_combination"));
        assertEquals(200, get("combo", "X-User", "alice", "X-Team", "a").status());
        assertEquals(200, get("combo", "X-User", "alice", "X-Team", "b").status());
        assertEquals(503, get("combo", "X-User", "alice", "X-Team", "a").status());
    }

    @Test
    void rulesKeyedOnVariablesWithPrefixedHeaders() {
        JsonObject c = new JsonObject().put("rules", new JsonArray()
                .add(new JsonObject().put("count", 2).put("time_window", 60).put("key", "$http_x_user"))
                .add(new JsonObject().put("count", 5).put("time_window", 60).put("key", "$http_x_team")
                        .put("header_prefix", "team")));
        route("rules", c);
        HttpResult r = get("rules", "X-User", "carol");
        assertEquals(200, r.status());
        assertEquals("2", r.header("X-1-RateLimit-Limit"));
        assertEquals("1", r.header("X-1-RateLimit-Remaining"));
        assertNull(r.header("X-team-RateLimit-Limit"), "a rule whose variables are all empty does not apply");
        r = get("rules", "X-User", "carol", "X-Team", "red");
        assertEquals(200, r.status());
        assertEquals("0", r.header("X-1-RateLimit-Remaining"));
        assertEquals("5", r.header("X-team-RateLimit-Limit"));
        assertEquals("4", r.header("X-team-RateLimit-Remaining"));
        assertEquals(503, get("rules", "X-User", "carol").status());
        assertEquals(200, get("rules", "X-User", "dave").status());

        // APISIX's own error texts for what the schema cannot say
        JsonObject both = c.copy().put("count", 1).put("time_window", 1);
        HttpResult bad = gw.admin("PUT", "/routes/bad", new JsonObject().put("uri", "/bad")
                .put("plugins", new JsonObject().put("limit-count", both))
                .put("upstream", new JsonObject().put("nodes", new JsonObject().put(upstream.hostPort(), 1))).encode());
        assertEquals(400, bad.status());
        assertTrue(bad.body().contains("count/time_window and rules cannot be specified at the same time"), bad.body());
    }

    @Test
    void variableCountComesFromTheRequest() {
        route("dyn", new JsonObject().put("count", "$http_x_limit").put("time_window", 60).put("key", "http_x_user"));
        assertEquals("3", get("dyn", "X-User", "u1", "X-Limit", "3").header("X-RateLimit-Limit"));
        assertEquals(500, get("dyn", "X-User", "u2", "X-Limit", "abc").status(), "not a number: 500 as APISIX");
    }

    @Test
    void slidingWindowCarriesThePreviousWindowOver() {
        int window = 4;
        route("slide", conf(10, window).put("window_type", "sliding"));
        // start right after a window boundary (windows are aligned on the clock), so the ten fit in one window
        awaitWindowStart(window);
        for (int i = 0; i < 10; i++) {
            assertEquals(200, get("slide").status(), "request " + (i + 1));
        }
        assertEquals(503, get("slide").status());
        awaitWindowStart(window);
        // a fixed window would now pass all five; the sliding one still counts most of the last window
        int passed = 0;
        for (int i = 0; i < 5; i++) {
            passed += get("slide").status() == 200 ? 1 : 0;
        }
        assertTrue(passed < 5, "passed " + passed + " of 5 right after the window turned");
    }

    static void awaitWindowStart(int windowSec) {
        long ms = windowSec * 1000L;
        long wait = ms - System.currentTimeMillis() % ms + 30;
        Pause.sleep(wait);
    }

    @Test
    void aChangedConfigurationStartsNewCountersAnUnrelatedRouteChangeDoesNot() {
        route("reset", conf(1, 60));
        assertEquals(200, get("reset").status());
        assertEquals(503, get("reset").status());
        route("reset", conf(1, 60).put("rejected_msg", "slow down")); // the plugin's configuration changed
        assertEquals(200, get("reset").status(), "a new configuration counts from zero (APISIX's conf_version)");
        HttpResult again = get("reset");
        assertEquals(503, again.status());
        assertEquals("slow down", again.jsonObject().getString("error_msg"));
    }

    @Test
    void redisPolicyCountsInRedisWithApisixKeys() {
        JsonObject c = conf(2, 60).put("policy", "redis").put("redis_host", "127.0.0.1").put("redis_port", redis.port());
        route("redis", c);
        HttpResult r1 = get("redis");
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("1", r1.header("X-RateLimit-Remaining"));
        assertEquals("0", get("redis").header("X-RateLimit-Remaining"));
        assertEquals(503, get("redis").status());
        String keys = redis.command("KEYS", "plugin-limit-count:v1:/apisix/routes/redis:*");
        assertEquals("*1", keys, "one counter under APISIX's key layout");
    }

    @Test
    void redisOutageFollowsAllowDegradationAndRecovers() {
        JsonObject strict = conf(100, 60).put("policy", "redis").put("redis_host", "127.0.0.1")
                .put("redis_port", redis.port()).put("redis_timeout", 2000);
        route("strict", strict);
        route("lenient", strict.copy().put("allow_degradation", true));
        assertEquals(200, get("strict").status());
        redis.stop();
        try {
            long t0 = System.nanoTime();
            HttpResult s = get("strict");
            assertEquals(500, s.status(), s.toString());
            assertEquals("failed to limit count", s.jsonObject().getString("error_msg"));
            HttpResult l = get("lenient");
            assertEquals(200, l.status(), "allow_degradation lets traffic through while Redis is away");
            assertNull(l.header("X-RateLimit-Limit"));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos(), "no hung request");
        } finally {
            redis.restart();
        }
        assertTrue(MockLlm.await(() -> get("strict").status() == 200, Duration.ofSeconds(15)),
                "the gateway uses Redis again once it is back");
        assertEquals("100", get("strict").header("X-RateLimit-Limit"));
    }
}
