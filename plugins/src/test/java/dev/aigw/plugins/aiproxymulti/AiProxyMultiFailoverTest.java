package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.aiproxy.AiVars;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.Ports;
import dev.aigw.testkit.SseReader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failover, balancing and retries against several mock LLM instances, through a tiny pipeline. */
class AiProxyMultiFailoverTest {

    static final String CHAT = "{\"model\":\"client-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STREAM = "{\"model\":\"client-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static Vertx vertx;
    static MockLlm a;
    static MockLlm b;
    static MockLlm c;
    MultiPipeline gw;

    @BeforeAll
    static void mocks() {
        vertx = Vertx.vertx();
        a = new MockLlm();
        b = new MockLlm();
        c = new MockLlm();
    }

    @AfterAll
    static void stop() throws Exception {
        a.close();
        b.close();
        c.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void reset() {
        a.reset().content("answer from a");
        b.reset().content("answer from b");
        c.reset().content("answer from c");
    }

    @AfterEach
    void closeGateway() throws Exception {
        if (gw != null) {
            gw.close();
        }
    }

    static JsonObject inst(String name, MockLlm m, int priority, int weight) {
        return inst(name, m.url(), priority, weight);
    }

    static JsonObject inst(String name, String base, int priority, int weight) {
        return new JsonObject().put("name", name).put("provider", "openai-compatible")
                .put("priority", priority).put("weight", weight)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                .put("options", new JsonObject().put("model", "model-" + name))
                .put("override", new JsonObject().put("endpoint", base + "/v1/chat/completions"));
    }

    static JsonObject conf(JsonObject... instances) {
        JsonArray arr = new JsonArray();
        for (JsonObject i : instances) {
            arr.add(i);
        }
        return new JsonObject().put("instances", arr)
                .put("fallback_strategy", new JsonArray().add("http_429").add("http_5xx"));
    }

    MultiPipeline start(JsonObject... confs) throws Exception {
        gw = new MultiPipeline(vertx, new AiProxyMultiPlugin(k -> null), confs);
        return gw;
    }

    static String content(HttpResponse<String> r) {
        return new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                .getString("content");
    }

    @Test
    void weightedSplitOverThousandRequests() throws Exception {
        start(conf(inst("openai", a, 1, 8), inst("deepseek", b, 1, 2)));
        Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
            assertEquals(200, r.statusCode(), r.body());
            served.merge(content(r), 1, Integer::sum);
            gw.nextFinished();
        }
        assertEquals(1000, a.count(MockLlm.Kind.CHAT) + b.count(MockLlm.Kind.CHAT));
        double shareA = a.count(MockLlm.Kind.CHAT) / 1000.0;
        assertTrue(Math.abs(shareA - 0.8) <= 0.05, "share of a: " + shareA);
        assertEquals(a.count(MockLlm.Kind.CHAT), served.get("answer from a"));
        assertEquals(b.count(MockLlm.Kind.CHAT), served.get("answer from b"));
    }

    /** 429, 500, a timeout and a refused connection on the top instance: the next one answers, once. */
    @Test
    void failsOverOn429And500AndTimeoutAndRefused() throws Exception {
        start(conf(inst("top", a, 1, 1), inst("next", b, 0, 1)).put("timeout", 400),
                conf(inst("dead", "http://127.0.0.1:" + Ports.free(), 1, 1), inst("next", b, 0, 1)));
        for (int status : new int[] {429, 500, 503}) {
            a.reset().status(status);
            b.reset().content("answer from b");
            HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("answer from b", content(r));
            assertEquals(1, a.count(MockLlm.Kind.CHAT));
            assertEquals(1, b.count(MockLlm.Kind.CHAT));
            assertEquals("model-next", b.lastRequest().json().getString("model"));
            assertEquals("Bearer sk-next", b.lastRequest().header("Authorization"));
            RequestContext ctx = gw.nextFinished();
            assertEquals("next", ctx.var(AiProxyMultiPlugin.VAR_INSTANCE));
            assertEquals("next", ctx.var(AiProxyMultiPlugin.VAR_BALANCER_IP));
            assertEquals(2, ctx.var(AiProxyMultiPlugin.VAR_ATTEMPTS));
            assertEquals("model-next", ctx.var(AiVars.LLM_MODEL));
            assertEquals(7, ((Number) ctx.var(AiVars.LLM_COMPLETION_TOKENS)).intValue());
            @SuppressWarnings("unchecked")
            Map<String, Object> logged = (Map<String, Object>) ctx.logFields().get("ai_proxy_multi");
            assertEquals("next", logged.get("instance"));
            assertEquals(List.of(Map.of("instance", "top", "status", status), Map.of("instance", "next", "status", 200)),
                    logged.get("tried"));
        }

        // timeout: the top instance answers after the 400 ms time-to-first-byte limit
        a.reset().headerDelay(Duration.ofSeconds(3));
        b.reset().content("answer from b");
        HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("answer from b", content(r));
        assertEquals(1, a.count(MockLlm.Kind.CHAT));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tried = (List<Map<String, Object>>)
                ((Map<String, Object>) gw.nextFinished().logFields().get("ai_proxy_multi")).get("tried");
        assertEquals(504, tried.get(0).get("status"));

        // refused: nothing listens on the first instance's port
        b.reset().content("answer from b");
        r = gw.chat("/r1/v1/chat/completions", CHAT);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("answer from b", content(r));
        RequestContext ctx = gw.nextFinished();
        assertEquals("next", ctx.var(AiProxyMultiPlugin.VAR_INSTANCE));
        assertEquals(2, ctx.var(AiProxyMultiPlugin.VAR_ATTEMPTS));
    }

    @Test
    void clientErrorsAndUnlistedStatusesArePassedThrough() throws Exception {
        JsonObject only429 = conf(inst("top", a, 1, 1), inst("next", b, 0, 1)).put("fallback_strategy", "http_429");
        start(only429);
        a.status(400);
        HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
        assertEquals(400, r.statusCode());
        assertTrue(new JsonObject(r.body()).containsKey("error"), r.body()); // the provider's own error body
        assertEquals(0, b.count(MockLlm.Kind.CHAT));
        gw.nextFinished();

        a.reset().status(500); // http_5xx is not in the strategy: the client sees the 500
        r = gw.chat("/r0/v1/chat/completions", CHAT);
        assertEquals(500, r.statusCode());
        assertEquals(0, b.count(MockLlm.Kind.CHAT));
        assertEquals(1, gw.nextFinished().var(AiProxyMultiPlugin.VAR_ATTEMPTS));
    }

    @Test
    void streamingFailsOverBeforeTheFirstByte() throws Exception {
        start(conf(inst("top", a, 1, 1), inst("next", b, 0, 1)));
        a.status(429);
        SseReader.Result r = new SseReader().post(gw.url("/r0/v1/chat/completions"), STREAM, Duration.ofSeconds(10));
        assertEquals(200, r.status(), r.rawBody());
        assertNull(r.error());
        StringBuilder text = new StringBuilder();
        int done = 0;
        for (String d : r.data()) {
            if ("[DONE]".equals(d)) {
                done++;
                continue;
            }
            JsonObject chunk = new JsonObject(d);
            assertEquals("model-next", chunk.getString("model"));
            JsonArray choices = chunk.getJsonArray("choices");
            if (!choices.isEmpty()) {
                text.append(choices.getJsonObject(0).getJsonObject("delta").getString("content", ""));
            }
        }
        assertEquals("answer from b", text.toString());
        assertEquals(1, done);
        assertEquals(1, a.count(MockLlm.Kind.CHAT));
        RequestContext ctx = gw.nextFinished();
        assertEquals("next", ctx.var(AiProxyMultiPlugin.VAR_INSTANCE));
        assertEquals(AiVars.AI_STREAM, ctx.var(AiVars.REQUEST_TYPE));
    }

    @Test
    void noFailoverOnceTheStreamHasStarted() throws Exception {
        start(conf(inst("top", a, 1, 1), inst("next", b, 0, 1)));
        a.content("abcdefgh").chunks(4).dieAfterChunks(1);
        SseReader.Result r = new SseReader().post(gw.url("/r0/v1/chat/completions"), STREAM, Duration.ofSeconds(10));
        assertEquals(200, r.status());
        assertNull(r.error(), "the client's stream ends cleanly");
        StringBuilder text = new StringBuilder();
        for (String d : r.data()) {
            if (!"[DONE]".equals(d)) {
                JsonArray choices = new JsonObject(d).getJsonArray("choices");
                if (!choices.isEmpty()) {
                    text.append(choices.getJsonObject(0).getJsonObject("delta").getString("content", ""));
                }
            }
        }
        assertEquals("ab", text.toString(), "only what the top instance sent, nothing spliced");
        assertEquals(0, b.count(MockLlm.Kind.CHAT));
        RequestContext ctx = gw.nextFinished();
        assertEquals("top", ctx.var(AiProxyMultiPlugin.VAR_INSTANCE));
        assertEquals(1, ctx.var(AiProxyMultiPlugin.VAR_ATTEMPTS));
    }

    @Test
    void everyInstanceDownGivesTheLastErrorNamingTheAttempts() throws Exception {
        start(conf(inst("top", a, 1, 1), inst("next", b, 0, 1)),
                conf(inst("gone1", "http://127.0.0.1:" + Ports.free(), 1, 1),
                        inst("gone2", "http://127.0.0.1:" + Ports.free(), 0, 1)));
        a.status(503);
        b.status(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
        HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
        assertEquals(500, r.statusCode());
        JsonObject body = new JsonObject(r.body());
        assertEquals("boom", body.getJsonObject("error", new JsonObject()).getString("message"), body.encode());
        assertTrue(body.getString("error_msg").contains("2 attempts"), body.encode());
        assertEquals(new JsonArray().add(new JsonObject().put("instance", "top").put("status", 503))
                .add(new JsonObject().put("instance", "next").put("status", 500)), body.getJsonArray("attempts"));
        gw.nextFinished();

        r = gw.chat("/r1/v1/chat/completions", CHAT);
        assertEquals(502, r.statusCode());
        body = new JsonObject(r.body());
        JsonArray attempts = body.getJsonArray("attempts");
        assertEquals(List.of("gone1", "gone2"), attempts.stream().map(o -> ((JsonObject) o).getString("instance")).toList());
        assertEquals(502, attempts.getJsonObject(1).getInteger("status"));
        assertTrue(body.getString("error_msg").contains("failed to connect"), body.encode());
    }

    @Test
    void retriesWithEachBackoff() throws Exception {
        JsonObject base = conf(inst("solo", a, 0, 1)).put("max_attempts", 4).put("retry_delay", 40);
        start(base.copy().put("backoff", "constant"), base.copy().put("backoff", "exponential"));
        for (String route : new String[] {"/r0", "/r1"}) {
            boolean exponential = route.equals("/r1");
            a.reset().content("answer from a").failNext(3, 502);
            HttpResponse<String> r = gw.chat(route + "/v1/chat/completions", CHAT);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("answer from a", content(r));
            List<MockLlm.RecordedRequest> seen = a.requests(MockLlm.Kind.CHAT);
            assertEquals(4, seen.size(), "one attempt and three retries at the mock");
            assertEquals(4, gw.nextFinished().var(AiProxyMultiPlugin.VAR_ATTEMPTS));
            // a timer never fires early: each gap is at least the configured delay
            long[] expected = exponential ? new long[] {40, 80, 160} : new long[] {40, 40, 40};
            for (int i = 1; i < seen.size(); i++) {
                long gap = Duration.between(seen.get(i - 1).receivedAt(), seen.get(i).receivedAt()).toMillis();
                assertTrue(gap >= expected[i - 1] - 2, "gap " + i + " was " + gap + " ms");
            }
        }
    }

    @Test
    void linearBackoffAndTheAttemptCap() throws Exception {
        start(conf(inst("solo", a, 0, 1)).put("max_attempts", 3).put("retry_delay", 30).put("backoff", "linear"));
        a.status(500);
        HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
        assertEquals(500, r.statusCode());
        assertEquals(3, new JsonObject(r.body()).getJsonArray("attempts").size());
        List<MockLlm.RecordedRequest> seen = a.requests(MockLlm.Kind.CHAT);
        assertEquals(3, seen.size());
        assertTrue(Duration.between(seen.get(1).receivedAt(), seen.get(2).receivedAt()).toMillis() >= 58);
    }

    @Test
    void priorityFallbackAndRecovery() throws Exception {
        JsonObject top = inst("azure-primary", a, 1, 1).put("checks", new JsonObject()
                .put("passive", new JsonObject().put("unhealthy", new JsonObject().put("failures", 2)).put("cooldown", 0.5)));
        start(conf(top, inst("fallback", b, 0, 1)));
        a.status(500);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
            assertEquals("answer from b", content(r));
            gw.nextFinished();
        }
        assertEquals(2, a.count(MockLlm.Kind.CHAT));
        // out after two failures in a row: the fallback serves without a detour through the top instance
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
            assertEquals("answer from b", content(r));
            assertEquals(1, gw.nextFinished().var(AiProxyMultiPlugin.VAR_ATTEMPTS));
        }
        assertEquals(2, a.count(MockLlm.Kind.CHAT));

        a.reset().content("answer from a"); // recovered; after the cool-down traffic returns
        assertTrue(MockLlm.await(() -> {
            try {
                HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
                gw.nextFinished();
                return "answer from a".equals(content(r));
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(10)));
        for (int i = 0; i < 3; i++) {
            assertEquals("answer from a", content(gw.chat("/r0/v1/chat/completions", CHAT)));
            gw.nextFinished();
        }
    }

    @Test
    void chashSticksPerKey() throws Exception {
        JsonObject conf = conf(inst("a", a, 0, 1), inst("b", b, 0, 1), inst("c", c, 0, 1))
                .put("balancer", new JsonObject().put("algorithm", "chash").put("hash_on", "header").put("key", "x-user"));
        start(conf);
        Map<String, String> owner = new HashMap<>();
        Set<String> used = new HashSet<>();
        for (int round = 0; round < 3; round++) {
            for (int u = 0; u < 12; u++) {
                HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT, "x-user", "user-" + u);
                String served = content(r);
                gw.nextFinished();
                String before = owner.putIfAbsent("user-" + u, served);
                if (before != null) {
                    assertEquals(before, served, "user-" + u + " moved");
                }
                used.add(served);
            }
        }
        assertTrue(used.size() >= 2, "keys spread over the instances: " + used);

        // a failed instance: its users fail over, the others stay where they were
        String victim = owner.get("user-0");
        MockLlm down = victim.endsWith("a") ? a : victim.endsWith("b") ? b : c;
        down.status(500);
        for (int u = 0; u < 12; u++) {
            String served = content(gw.chat("/r0/v1/chat/completions", CHAT, "x-user", "user-" + u));
            gw.nextFinished();
            if (owner.get("user-" + u).equals(victim)) {
                assertTrue(!served.equals(victim), "user-" + u + " still on the failed instance");
            } else {
                assertEquals(owner.get("user-" + u), served);
            }
        }
    }

    @Test
    void clientErrorBeforeAnyAttemptIsOurs() throws Exception {
        start(conf(inst("a", a, 0, 1)));
        HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", "{\"nothing\":1}");
        assertEquals(400, r.statusCode());
        assertEquals(0, a.count());
    }

    @Test
    void rateLimitedInstanceIsSkippedForItsRetryAfterAndLogsSummaries() throws Exception {
        JsonObject conf = conf(inst("top", a, 1, 1), inst("next", b, 0, 1))
                .put("fallback_strategy", "instance_health_and_rate_limiting")
                .put("logging", new JsonObject().put("summaries", true));
        start(conf);
        a.status(429); // the mock sends Retry-After: 1
        assertEquals("answer from b", content(gw.chat("/r0/v1/chat/completions", CHAT)));
        RequestContext ctx = gw.nextFinished();
        assertEquals(2, ctx.var(AiProxyMultiPlugin.VAR_ATTEMPTS));
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) ctx.logFields().get("llm_summary");
        assertEquals("model-next", summary.get("model"));
        assertEquals("client-model", summary.get("request_model"));

        assertEquals("answer from b", content(gw.chat("/r0/v1/chat/completions", CHAT)));
        assertEquals(1, gw.nextFinished().var(AiProxyMultiPlugin.VAR_ATTEMPTS), "skipped while rate limited");
        assertEquals(1, a.count(MockLlm.Kind.CHAT));

        a.reset().content("answer from a");
        assertTrue(MockLlm.await(() -> {
            try {
                String served = content(gw.chat("/r0/v1/chat/completions", CHAT));
                gw.nextFinished();
                return served.equals("answer from a");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(10)), "back after Retry-After");
    }
}
