package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ai-rate-limiting on one gateway with the local policy: APISIX's header values over a sequence
 * (t/plugin/ai-rate-limiting.t: limit 30, 10 tokens each → 30, 20, 10, then refused), rules per key,
 * reservations settled to the real usage and released when the client aborts, and ai-proxy-multi
 * skipping an instance whose budget is spent.
 */
class AiRateLimitingTest {

    static MockLlm llm;
    static GatewayProcess gw;

    @BeforeAll
    static void start() throws Exception {
        llm = new MockLlm();
        llm.respond("/plain", (req, rec) -> req.response().end("ok"));
        gw = GatewayProcess.builder(Files.createTempDirectory("aigw-t-ai-rate-")).startTimeout(Duration.ofSeconds(90)).config(GatewayConfig.create()
                .set("nginx_config.http.access_log_format", "$http_x_tag $status $balancer_ip $rate_limiting_info")).start();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            Probe.close(gw);
        }
        if (llm != null) {
            llm.close();
        }
    }

    static JsonObject aiProxy() {
        return new JsonObject().put("provider", "openai-compatible")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-test")))
                .put("options", new JsonObject().put("model", "gpt-4o-mini"))
                .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions"));
    }

    static void route(String id, JsonObject plugins) {
        JsonObject r = new JsonObject().put("uri", "/" + id + "/v1/chat/completions").put("plugins", plugins);
        HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
        Probe.await(gw, llm);
    }

    static final String INSTANCE = "ai-proxy-openai-compatible";

    /** A chat request; usage of the mock's answer from the headers; waits until its log phase ran. */
    static HttpResult chat(String id, String tag, int prompt, int completion, Integer maxTokens, String... more) {
        JsonObject body = new JsonObject().put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        String[] h = new String[6 + more.length];
        h[0] = "X-Mock-Prompt-Tokens";
        h[1] = Integer.toString(prompt);
        h[2] = "X-Mock-Completion-Tokens";
        h[3] = Integer.toString(completion);
        h[4] = "X-Tag";
        h[5] = tag;
        System.arraycopy(more, 0, h, 6, more.length);
        HttpResult r = gw.http("POST", "/" + id + "/v1/chat/completions", body.encode(), h);
        awaitLogged(tag);
        return r;
    }

    /** The access log line comes after the log phase: once it is there, the usage has been counted. */
    static void awaitLogged(String tag) {
        assertTrue(MockLlm.await(() -> gw.accessLogLines().stream().anyMatch(l -> l.startsWith(tag + " ")),
                Duration.ofSeconds(10)), "request " + tag + " not logged");
    }

    @Test
    void apisixHeaderSequenceWithoutReservation() {
        route("seq", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting", new JsonObject()
                .put("limit", 30).put("time_window", 60).put("reserve", false)));
        String[] expected = {"30", "20", "10"};
        for (int i = 0; i < 3; i++) {
            HttpResult r = chat("seq", "seq-" + i, 4, 6, null);
            assertEquals(200, r.status(), r.toString());
            assertEquals("30", r.header("X-AI-RateLimit-Limit-" + INSTANCE));
            assertEquals(expected[i], r.header("X-AI-RateLimit-Remaining-" + INSTANCE), "request " + (i + 1));
            double reset = Double.parseDouble(r.header("X-AI-RateLimit-Reset-" + INSTANCE));
            assertTrue(reset > 0 && reset <= 60, "reset " + reset);
        }
        String line = gw.accessLogLines().stream().filter(l -> l.startsWith("seq-2 ")).findFirst().orElseThrow();
        assertTrue(line.contains("rate_limiting_limit") && line.contains("30") && line.contains("rate_limiting_remaining")
                && line.contains("rate_limiting_reset") && line.contains("rate_limiting_key"),
                "$rate_limiting_info as APISIX: " + line);
        int before = llm.count(MockLlm.Kind.CHAT);
        HttpResult r = chat("seq", "seq-3", 4, 6, null);
        assertEquals(503, r.status(), "APISIX's default rejected_code");
        assertEquals("0", r.header("X-AI-RateLimit-Remaining-" + INSTANCE));
        assertEquals(before, llm.count(MockLlm.Kind.CHAT), "a refused request never reaches the provider");
    }

    @Test
    void rejectedCodeMessageAndRulesPerKey() {
        route("rules", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting", new JsonObject()
                .put("rules", new JsonArray().add(new JsonObject().put("count", 20).put("time_window", 60)
                        .put("key", "$http_x_user")))
                .put("rejected_code", 429).put("rejected_msg", "token budget spent").put("reserve", false)));
        HttpResult a1 = chat("rules", "r-a1", 10, 10, null, "X-User", "alice");
        assertEquals(200, a1.status());
        assertEquals("20", a1.header("X-AI-1-RateLimit-Limit"));
        assertEquals("20", a1.header("X-AI-1-RateLimit-Remaining"));
        HttpResult a2 = chat("rules", "r-a2", 10, 10, null, "X-User", "alice");
        assertEquals(429, a2.status(), a2.toString());
        assertEquals("token budget spent", a2.jsonObject().getString("error_msg"));
        HttpResult b1 = chat("rules", "r-b1", 10, 10, null, "X-User", "bob");
        assertEquals(200, b1.status(), "bob's budget is his own");
        HttpResult none = chat("rules", "r-none", 10, 10, null);
        assertEquals(200, none.status(), "no X-User: the rule does not apply");
        assertNull(none.header("X-AI-1-RateLimit-Limit"));
    }

    @Test
    void reservationRefusesWhatCannotFitAndSettlesToTheRealUsage() {
        route("reserve", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting", new JsonObject()
                .put("limit", 1000).put("time_window", 60)));
        // the request may produce 2000 tokens: it cannot fit in a budget of 1000, whatever it really uses
        HttpResult big = chat("reserve", "res-big", 5, 5, 2000);
        assertEquals(503, big.status(), big.toString());
        HttpResult r1 = chat("reserve", "res-1", 5, 15, 500);
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("1000", r1.header("X-AI-RateLimit-Remaining-" + INSTANCE));
        HttpResult r2 = chat("reserve", "res-2", 5, 15, 500);
        assertEquals(200, r2.status());
        assertEquals("980", r2.header("X-AI-RateLimit-Remaining-" + INSTANCE),
                "the first request's reservation (500 + prompt) was settled to its 20 real tokens");
        // a stream is settled to the usage of its last event
        JsonObject body = new JsonObject().put("stream", true).put("max_tokens", 500).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        HttpResult s = gw.http("POST", "/reserve/v1/chat/completions", body.encode(), "X-Mock-Prompt-Tokens", "5",
                "X-Mock-Completion-Tokens", "25", "X-Tag", "res-stream");
        assertEquals(200, s.status());
        assertTrue(s.body().contains("[DONE]"), "a complete stream: " + s.body());
        awaitLogged("res-stream");
        HttpResult r3 = chat("reserve", "res-3", 5, 15, 500);
        assertEquals("930", r3.header("X-AI-RateLimit-Remaining-" + INSTANCE), "20 + 20 + the stream's 30");
    }

    @Test
    void reservationIsReleasedWhenTheClientAborts() throws Exception {
        route("abort", new JsonObject().put("ai-proxy", aiProxy()).put("ai-rate-limiting", new JsonObject()
                .put("limit", 1000).put("time_window", 60)));
        JsonObject body = new JsonObject().put("max_tokens", 900).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        HttpClient client = gw.httpClient();
        HttpRequest slow = HttpRequest.newBuilder(URI.create(gw.url("/abort/v1/chat/completions")))
                .timeout(Duration.ofMillis(700)).header("Content-Type", "application/json")
                .header("X-Mock-Delay-Ms", "5000").header("X-Tag", "abort-1")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
        boolean aborted = false;
        try {
            client.send(slow, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException expected) {
            aborted = true;
        }
        assertTrue(aborted, "the client gave up before the answer");
        // while the first reservation (about 900) is held, a second one of 900 cannot fit; once the
        // abort is noticed it is given back, and the same request passes (a refused one counts nothing)
        assertTrue(MockLlm.await(() -> chatStatus("abort", 900) == 200, Duration.ofSeconds(15)),
                "the aborted request's reservation was never released; access log:\n" + gw.accessLog()
                        + "\n" + gw.outputTail(30));

    }

    private static int tagSerial;

    static int chatStatus(String id, int maxTokens) {
        return chat(id, "abort-poll-" + (tagSerial++), 5, 5, maxTokens).status();
    }

    @Test
    void multiSkipsAnInstanceWhoseBudgetIsSpent() {
        JsonObject multi = new JsonObject().put("instances", new JsonArray()
                        .add(instance("first", 1)).add(instance("second", 0)))
                .put("fallback_strategy", new JsonArray().add("rate_limiting"));
        JsonObject limits = new JsonObject().put("instances", new JsonArray()
                .add(new JsonObject().put("name", "first").put("limit", 10).put("time_window", 60)));
        route("multi", new JsonObject().put("ai-proxy-multi", multi).put("ai-rate-limiting", limits.copy().put("reserve", false)));
        HttpResult r1 = chat("multi", "m-1", 5, 5, null);
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("model-first", r1.jsonObject().getString("model"));
        assertEquals("10", r1.header("X-AI-RateLimit-Remaining-first"));
        HttpResult r2 = chat("multi", "m-2", 5, 5, null);
        assertEquals(200, r2.status(), r2.toString());
        assertEquals("model-second", r2.jsonObject().getString("model"), "first's budget is spent: second serves");
        assertEquals("0", r2.header("X-AI-RateLimit-Remaining-first"));

        // without rate_limiting in fallback_strategy, the spent instance's refusal is the answer
        route("multi2", new JsonObject().put("ai-proxy-multi", multi.copy().put("fallback_strategy", "http_5xx"))
                .put("ai-rate-limiting", limits.copy().put("reserve", false)));
        assertEquals(200, chat("multi2", "m2-1", 5, 5, null).status());
        assertEquals(503, chat("multi2", "m2-2", 5, 5, null).status());

        // with reservations: the reservation decides before the call
        route("multi3", new JsonObject().put("ai-proxy-multi", multi).put("ai-rate-limiting", limits));
        HttpResult m3 = chat("multi3", "m3-1", 5, 5, 100);
        assertEquals("model-second", m3.jsonObject().getString("model"), "100 tokens cannot fit in first's 10");
    }

    static JsonObject instance(String name, int priority) {
        return new JsonObject().put("name", name).put("provider", "openai-compatible").put("priority", priority)
                .put("weight", 1)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                .put("options", new JsonObject().put("model", "model-" + name))
                .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions"));
    }
}
