package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.t.RedisGateways;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three gateway processes behind a client that spreads requests over them, one Redis: a token
 * budget holds across the nodes (with reservations, 30 concurrent requests against a budget for 10
 * cannot overshoot it; APISIX's count-after behaviour lets them all through), and a Redis that dies
 * mid-run follows {@code allow_degradation}, hangs nothing and is used again once it is back.
 */
class ThreeGatewaysRedisTest {

    static MockLlm llm;
    static RedisProcess redis;
    static RedisGateways env;
    static List<GatewayProcess> gws;
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** What one answer costs: the mock reports 5 prompt + 20 completion tokens. */
    static final int COST = 25;

    @BeforeAll
    static void start() throws Exception {
        env = RedisGateways.start(3, "aigw-t-3gw-");
        llm = env.llm;
        redis = env.redis;
        gws = env.gateways;
        llm.respond("/plain", (req, rec) -> req.response().end("ok"));
    }

    @AfterAll
    static void stop() {
        if (env != null) {
            env.close();
        }
    }

    /** Redis policy; a generous timeout: the burst runs on a busy machine, the outage test sets its own. */
    static JsonObject limits(int limit, boolean reserve) {
        return new JsonObject().put("limit", limit).put("time_window", 120).put("reserve", reserve)
                .put("policy", "redis").put("redis_host", "127.0.0.1").put("redis_port", redis.port())
                .put("redis_timeout", 3000);
    }

    /**
     * One request per node on a route with the same Redis settings (so the same shared client): the
     * connection pool, the tokenizer and the JIT are warm before a burst is measured.
     */
    static void warm() throws Exception {
        route("warm", limits(1_000_000, true));
        for (GatewayProcess gw : gws) {
            assertEquals(200, send(chat(gw, "warm", 1, 0)).statusCode());
        }
    }

    /** The same route on every node (each has its own store, as nodes behind a load balancer would). */
    static void route(String id, JsonObject rateLimiting) {
        JsonObject r = new JsonObject().put("uri", "/" + id + "/v1/chat/completions").put("plugins", new JsonObject()
                .put("ai-proxy", new JsonObject().put("provider", "openai-compatible")
                        .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-t")))
                        .put("options", new JsonObject().put("model", "gpt-4o-mini"))
                        .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions")))
                .put("ai-rate-limiting", rateLimiting));
        for (GatewayProcess gw : gws) {
            HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
            assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
            Probe.await(gw, llm);
        }
    }

    static HttpRequest chat(GatewayProcess gw, String id, int maxTokens, long delayMs) {
        JsonObject body = new JsonObject().put("max_tokens", maxTokens).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        return HttpRequest.newBuilder(URI.create(gw.url("/" + id + "/v1/chat/completions")))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("X-Mock-Prompt-Tokens", "5").header("X-Mock-Completion-Tokens", "20")
                .header("X-Mock-Delay-Ms", Long.toString(delayMs))
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    }

    /** Sends {@code n} requests at once, spread round-robin over the nodes; returns the statuses. */
    static List<Integer> burst(String id, int n) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(CLIENT.sendAsync(chat(gws.get(i % 3), id, 20, 1500), HttpResponse.BodyHandlers.ofString()));
        }
        List<Integer> out = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : fs) {
            out.add(f.get(60, TimeUnit.SECONDS).statusCode());
        }
        return out;
    }

    /** Tokens counted in Redis on route {@code id}'s ai-rate-limiting counters (APISIX's key layout). */
    static long consumed(String id) {
        long n = 0;
        for (String k : redis.query("KEYS", "plugin-ai-rate-limiting:*").split("\n")) {
            if (k.contains("/apisix/routes/" + id + ":")) {
                String v = redis.query("GET", k.trim()).trim();
                n += v.isEmpty() ? 0 : Long.parseLong(v);
            }
        }
        return n;
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void reservationsHoldATokenBudgetAcrossThreeNodes() throws Exception {
        int budget = 10 * COST;
        warm();
        route("budget", limits(budget, true));
        List<Integer> statuses = burst("budget", 30);
        long ok = statuses.stream().filter(s -> s == 200).count();
        // each request reserves its prompt estimate (at least the framing, 7 tokens) + max_tokens 20,
        // never less than its real 25: at most 10 fit, whatever node they reach
        assertTrue(ok >= 1 && ok <= 10, "passed " + ok + " of 30: " + statuses);
        assertEquals(30 - ok, statuses.stream().filter(s -> s == 503).count(), "the others refused: " + statuses);
        // every reservation is settled to the real 25 tokens in Redis, in the answers' log phases,
        // after the answers: wait for Redis to hold them all (the check below spends tokens itself)
        assertTrue(MockLlm.await(() -> consumed("budget") == ok * COST, Duration.ofSeconds(10)),
                () -> "settled in Redis: " + consumed("budget") + " of " + ok * COST);
        // any node sees what is left
        long left = budget - ok * COST;
        assertTrue(MockLlm.await(() -> {
            try {
                HttpResponse<String> r = send(chat(gws.get(2), "budget", 0, 0));
                return r.statusCode() == 200
                        && String.valueOf(left).equals(r.headers().firstValue("X-AI-RateLimit-Remaining-ai-proxy-openai-compatible").orElse(""));
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(10)), "remaining " + left + " after " + ok + " answers of " + COST + " tokens");
    }

    @Test
    void withoutReservationApisixLetsConcurrentRequestsOvershoot() throws Exception {
        warm();
        route("overshoot", limits(10 * COST, false));
        long ok = burst("overshoot", 30).stream().filter(s -> s == 200).count();
        assertTrue(ok > 10, "APISIX's count-after check passed only " + ok + " (expected the overshoot reservations prevent)");
    }

    @Test
    void redisOutageFollowsAllowDegradationAndRecovers() throws Exception {
        route("strict", limits(1_000_000, true).put("redis_timeout", 2000));
        route("lenient", limits(1_000_000, true).put("redis_timeout", 2000).put("allow_degradation", true));
        assertEquals(200, send(chat(gws.get(0), "strict", 10, 0)).statusCode());
        // requests in flight when Redis dies: they all end, none hangs
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inFlight.add(CLIENT.sendAsync(chat(gws.get(i % 3), i % 2 == 0 ? "strict" : "lenient", 10, 1000),
                    HttpResponse.BodyHandlers.ofString()));
        }
        redis.stop();
        try {
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                int st = f.get(30, TimeUnit.SECONDS).statusCode();
                assertTrue(st == 200 || st == 500, "status " + st);
            }
            for (GatewayProcess gw : gws) {
                long t0 = System.nanoTime();
                HttpResponse<String> strict = send(chat(gw, "strict", 10, 0));
                assertEquals(500, strict.statusCode(), strict.body());
                assertEquals("failed to limit count", new JsonObject(strict.body()).getString("error_msg"));
                HttpResponse<String> lenient = send(chat(gw, "lenient", 10, 0));
                assertEquals(200, lenient.statusCode(), "allow_degradation: traffic passes while Redis is away");
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos(), "answers come, bounded");
            }
        } finally {
            redis.restart();
        }
        for (GatewayProcess gw : gws) {
            assertTrue(MockLlm.await(() -> {
                try {
                    return send(chat(gw, "strict", 10, 0)).statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(20)), "the node uses Redis again once it is back");
        }
    }
}
