package dev.aigw.t.aiproxy;

import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.Ports;
import dev.aigw.testkit.SseReader;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.awaitLogEntry;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static dev.aigw.t.aiproxy.AiProxyEnv.sdk;
import static dev.aigw.t.aiproxy.AiProxyEnv.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures: provider errors passed through, unreachable provider (502), slow provider (504), a
 * provider that dies mid-stream, a client that leaves mid-stream (the provider call is cancelled),
 * bodies that are not JSON; and, after all of it, the provider keys in no log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AiProxyErrorsTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    /** Provider secrets: configured as a header and as a query parameter. */
    private static final String HEADER_SECRET = "sk-proj-HEADERSECRET-4d3c2b1a";
    private static final String QUERY_SECRET = "QUERYSECRET-9f8e7d6c";
    private static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static JsonObject auth() {
        return new JsonObject()
                .put("header", new JsonObject().put("Authorization", "Bearer " + HEADER_SECRET))
                .put("query", new JsonObject().put("api_key", QUERY_SECRET));
    }

    @BeforeAll
    static void routes() {
        putRoute(ENV.gateway(), "err", "/err/*", aiProxy("openai", ENV.mock().url(), auth()));
        putRoute(ENV.gateway(), "slow", "/slow/*", aiProxy("openai", ENV.mock().url(), auth()).put("timeout", 1000));
        putRoute(ENV.gateway(), "dead", "/dead/*",
                aiProxy("openai", "http://127.0.0.1:" + Ports.free(), auth()).put("timeout", 3000));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 429, 500, 503})
    void providerErrorsPassThrough(int status) {
        String id = testId();
        String body = new JsonObject().put("error", new JsonObject()
                .put("message", "mock refused with " + status).put("type", "mock_error").put("code", "c" + status))
                .encode();
        mock().status(status, body);
        HttpResult r = gw().http("POST", "/err/v1/chat/completions", CHAT, "X-Test-Id", id);
        assertEquals(status, r.status(), r.toString());
        assertEquals(body, r.body(), "the provider's body, unchanged");
        assertTrue(r.header("Content-Type").startsWith("application/json"));
        if (status == 429) {
            assertEquals("1", r.header("Retry-After"), "the provider's headers pass too");
        }
        assertEquals(1, mock().count(), "no retry");
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals(String.valueOf(status), log.get("status"));
        assertEquals(String.valueOf(status), log.get("upstream_status"));
    }

    @Test
    void sdkSeesTheProviderErrors() {
        String id = testId();
        mock().status(429);
        var client = sdk(gw(), "/err/v1", "client-key", id);
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("gpt-4o").addUserMessage("hi").build();
        RateLimitException e = assertThrows(RateLimitException.class, () -> client.chat().completions().create(p));
        assertEquals(429, e.statusCode());
        assertEquals("rate_limit_exceeded", e.code().orElseThrow());

        mock().status(500);
        InternalServerException e2 = assertThrows(InternalServerException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
                s.stream().count();
            }
        });
        assertEquals(500, e2.statusCode());
        assertEquals(0, mock().streams().size(), "the provider never streamed");
    }

    @Test
    void unreachableProviderIs502() {
        String id = testId();
        HttpResult r = gw().http("POST", "/dead/v1/chat/completions", CHAT, "X-Test-Id", id);
        assertEquals(502, r.status(), r.toString());
        assertTrue(r.jsonObject().getString("error_msg").contains("LLM server"), r.body());
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("502", log.get("status"));
        assertEquals("ai_chat", log.get("request_type"));
    }

    @Test
    void slowProviderIs504() {
        String id = testId();
        mock().headerDelay(Duration.ofSeconds(4));
        HttpResult r = gw().http("POST", "/slow/v1/chat/completions", CHAT, "X-Test-Id", id);
        assertEquals(504, r.status(), r.toString());
        assertTrue(r.jsonObject().getString("error_msg").contains("timed out"), r.body());
        assertEquals("504", awaitLogEntry(gw(), id).get("status"));
        assertTrue(mock().awaitRequests(1, AiProxyEnv.WAIT), "the provider was called");
        assertEquals(1, mock().count(), "sent once, not retried");
    }

    @Test
    void providerDyingMidStreamEndsTheClientsStream() {
        String id = testId();
        mock().chunks(5).dieAfterChunks(2).chunkDelay(Duration.ofMillis(30)).content("abcdefghij");
        SseReader.Result r = new SseReader().post(gw().url("/err/v1/chat/completions"), STREAM,
                Duration.ofSeconds(15), "X-Test-Id", id);
        assertEquals(200, r.status(), r.rawBody());
        List<String> data = r.data();
        assertEquals(3, data.size(), "role chunk and the two content chunks sent before the provider died: " + data);
        assertEquals("ab", new JsonObject(data.get(1)).getJsonArray("choices").getJsonObject(0)
                .getJsonObject("delta").getString("content"));
        assertFalse(data.contains("[DONE]"), "no end marker the provider never sent");

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("ai_stream", log.get("request_type"));
        assertEquals("200", log.get("upstream_status"));

        mock().reset();
        assertEquals(200, gw().http("POST", "/err/v1/chat/completions", CHAT).status(), "the gateway still serves");
    }

    @Test
    void clientLeavingMidStreamCancelsTheProviderCall() {
        String id = testId();
        mock().chunks(60).chunkDelay(Duration.ofMillis(50));
        HttpRequest req = HttpRequest.newBuilder(URI.create(gw().url("/err/v1/chat/completions")))
                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json").header("X-Test-Id", id)
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build();
        SseReader.Result r = new SseReader().read(req, 3);
        assertEquals(3, r.events().size());

        assertTrue(mock().awaitClientDisconnect(AiProxyEnv.WAIT), "the gateway closed its provider connection");
        MockLlm.StreamTrace t = mock().streams().get(0);
        assertFalse(t.completed());
        assertTrue(t.sentAt().size() < 60, "the provider stopped early: " + t.sentAt().size() + " events");
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("ai_stream", log.get("request_type"));
    }

    @Test
    void bodiesThatAreNotJsonAreRefusedAndNothingIsSent() {
        for (String body : List.of("this is not json", "{\"model\":", "[1,2,3]", "\"a string\"")) {
            HttpResult r = gw().http("POST", "/err/v1/chat/completions", body);
            assertEquals(400, r.status(), body + " -> " + r);
            assertTrue(r.jsonObject().containsKey("error_msg"), r.body());
        }
        HttpResult r = gw().http("POST", "/err/v1/chat/completions", CHAT, "Content-Type", "text/plain");
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.jsonObject().getString("error_msg").contains("content-type"), r.body());
        r = gw().http("POST", "/err/v1/chat/completions", "{\"model\":\"gpt-4o\",\"prompt\":\"legacy\"}");
        assertEquals(400, r.status(), "neither chat nor embeddings: " + r);
        assertEquals(0, mock().count(), "nothing reached the provider");
    }

    /** Last, so that every failure above (and its log lines) has happened. */
    @Test
    @Order(Integer.MAX_VALUE)
    void providerKeysAppearInNoLog() {
        String id = testId();
        // one more of each kind, in case this runs alone
        assertEquals(200, gw().http("POST", "/err/v1/chat/completions", CHAT, "X-Test-Id", id).status());
        mock().status(401);
        assertEquals(401, gw().http("POST", "/err/v1/chat/completions", CHAT, "X-Test-Id", id).status());
        assertEquals(502, gw().http("POST", "/dead/v1/chat/completions", CHAT, "X-Test-Id", id).status());
        mock().reset();
        assertEquals(200, new SseReader().post(gw().url("/err/v1/chat/completions"), STREAM, Duration.ofSeconds(10),
                "X-Test-Id", id).status());
        AiProxyEnv.awaitLogEntries(gw(), id, 4);
        assertTrue(mock().lastRequest().query().contains(QUERY_SECRET), "the key was in use");

        String access = gw().accessLog();
        String logs = gw().allLogs();
        assertFalse(access.isEmpty());
        for (String secret : List.of(HEADER_SECRET, QUERY_SECRET)) {
            assertFalse(access.contains(secret), "provider key in the access log");
            assertFalse(logs.contains(secret), "provider key in the gateway's logs");
        }
    }
}
