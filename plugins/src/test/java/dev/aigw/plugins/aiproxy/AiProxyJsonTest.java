package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ai-proxy's JSON path: providers' URLs and auth, body shaping, passthrough, variables, errors. */
class AiProxyJsonTest {

    static Vertx vertx;
    static MockLlm mock;

    static final String CHAT = "{\"model\":\"gpt-3.5\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"}]}";

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockLlm(vertx);
    }

    @AfterAll
    static void stop() throws Exception {
        mock.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        mock.seen.clear();
    }

    static JsonObject conf(String provider) {
        return new JsonObject().put("provider", provider)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-conf")))
                .put("override", new JsonObject().put("endpoint", mock.base()));
    }

    @ParameterizedTest
    @CsvSource({
        "openai, /v1/chat/completions",
        "deepseek, /chat/completions",
        "gemini, /v1beta/openai/chat/completions",
        "anthropic, /v1/chat/completions",
        "openrouter, /api/v1/chat/completions",
        "aimlapi, /chat/completions",
        "openai-compatible, /v1/chat/completions"})
    void eachProviderPathAndAuthAtTheMock(String provider, String path) throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(provider))) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(200, r.statusCode(), r.body());
            MockLlm.Seen s = mock.last();
            assertEquals("POST", s.method());
            assertEquals(path, s.path());
            assertEquals("Bearer sk-conf", s.header("authorization"));
            assertEquals("127.0.0.1:" + mock.port, s.header("host"));
            assertEquals(new JsonObject(CHAT), s.json());
        }
    }

    @Test
    void azureUsesTheDeploymentUrlWithItsQueryAndDropsTheModel() throws Exception {
        JsonObject c = new JsonObject().put("provider", "azure-openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("api-key", "az-key")))
                .put("override", new JsonObject().put("endpoint",
                        mock.base() + "/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01"));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT, "api-key", "client-key");
            assertEquals(200, r.statusCode(), r.body());
            MockLlm.Seen s = mock.last();
            assertEquals("/openai/deployments/gpt4o/chat/completions", s.path());
            assertEquals("api-version=2024-02-01", s.query());
            assertEquals("az-key", s.header("api-key"));
            assertFalse(s.json().containsKey("model"));
        }
    }

    @Test
    void queryAuthIsAddedAndClientKeysAreNeverForwarded() throws Exception {
        JsonObject c = new JsonObject().put("provider", "gemini")
                .put("auth", new JsonObject().put("query", new JsonObject().put("key", "g-key")))
                .put("override", new JsonObject().put("endpoint", mock.base()));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT, "Authorization", "Bearer client",
                    "api-key", "c1", "x-api-key", "c2", "X-Custom", "kept");
            assertEquals(200, r.statusCode(), r.body());
            MockLlm.Seen s = mock.last();
            assertEquals("key=g-key", s.query());
            assertNull(s.header("authorization"));
            assertNull(s.header("api-key"));
            assertNull(s.header("x-api-key"));
            assertEquals("kept", s.header("x-custom"));
            assertEquals("application/json", s.header("content-type"));
        }
    }

    @Test
    void configuredHeaderReplacesTheClientsAuthorization() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            Http.send(gw.url("/chat"), CHAT, "Authorization", "Bearer client-key");
            assertEquals("Bearer sk-conf", mock.last().header("authorization"));
        }
    }

    @Test
    void vertexChatPathFromProviderConf() throws Exception {
        JsonObject c = conf("vertex-ai").put("provider_conf",
                new JsonObject().put("project_id", "my-proj").put("region", "us-central1"));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            assertEquals(200, Http.send(gw.url("/chat"), CHAT).statusCode());
            assertEquals("/v1/projects/my-proj/locations/us-central1/endpoints/openapi/chat/completions",
                    mock.last().path());
        }
    }

    @Test
    void optionsMergeOverTheClientBodyAndReplaceTheModel() throws Exception {
        JsonObject c = conf("openai").put("options", new JsonObject().put("model", "gpt-4o").put("temperature", 0.5));
        String body = "{\"model\":\"gpt-3.5\",\"top_p\":0.9,\"custom\":{\"a\":[1,2]},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            assertEquals(200, Http.send(gw.url("/chat"), body).statusCode());
            JsonObject sent = mock.last().json();
            assertEquals("gpt-4o", sent.getString("model"));
            assertEquals(0.5, sent.getDouble("temperature"));
            assertEquals(0.9, sent.getDouble("top_p"));
            assertEquals(new JsonObject().put("a", new JsonArray().add(1).add(2)), sent.getJsonObject("custom"));
            RequestContext ctx = gw.nextFinished();
            assertEquals("gpt-3.5", ctx.var("request_llm_model"));
            assertEquals("gpt-4o", ctx.var("llm_model"));
            assertEquals("ai_chat", ctx.var("request_type"));
        }
    }

    @Test
    void jsonAnswerPassesThroughWithUsageAndUpstreamVariables() throws Exception {
        JsonObject c = conf("openai").put("logging", new JsonObject().put("summaries", true).put("payloads", true));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(200, r.statusCode());
            assertEquals(MockLlm.chatAnswer(new JsonObject(CHAT), "1 + 1 = 2.").encode(), r.body());
            assertEquals("yes", r.headers().firstValue("X-Mock").orElse(null));
            RequestContext ctx = gw.nextFinished();
            assertEquals(11L, ctx.var("llm_prompt_tokens"));
            assertEquals(7L, ctx.var("llm_completion_tokens"));
            assertEquals(200, ctx.var("upstream_status"));
            assertEquals("127.0.0.1:" + mock.port, ctx.var("upstream_addr"));
            assertEquals("http", ctx.var("upstream_scheme"));
            assertEquals("127.0.0.1:" + mock.port, ctx.var("upstream_host"), "the Host header sent, port included");
            assertEquals("/v1/chat/completions", ctx.var("upstream_uri"));
            assertTrue(ctx.varString("upstream_response_time").matches("\\d+\\.\\d{3}"), ctx.varString("upstream_response_time"));
            assertTrue(((Long) ctx.var("llm_time_to_first_token")) >= 0);
            assertTrue(((Long) ctx.var("apisix_upstream_response_time")) >= (Long) ctx.var("llm_time_to_first_token"));

            @SuppressWarnings("unchecked")
            Map<String, Object> summary = (Map<String, Object>) ctx.logFields().get("llm_summary");
            assertEquals("gpt-3.5", summary.get("model"));
            assertEquals("gpt-3.5", summary.get("request_model"));
            assertEquals(11L, summary.get("prompt_tokens"));
            assertEquals(7L, summary.get("completion_tokens"));
            assertNotNull(summary.get("duration"));
            @SuppressWarnings("unchecked")
            Map<String, Object> req = (Map<String, Object>) ctx.logFields().get("llm_request");
            assertEquals(List.of(Map.of("role", "user", "content", "1+1?")), req.get("messages"));
            assertEquals(false, req.get("stream"));
            assertEquals(Map.of("content", "1 + 1 = 2."), ctx.logFields().get("llm_response_text"));
        }
    }

    @Test
    void noLoggingFieldsUnlessAsked() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            Http.send(gw.url("/chat"), CHAT);
            assertTrue(gw.nextFinished().logFields().isEmpty());
        }
    }

    @Test
    void embeddingsGoToTheEmbeddingsPath() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            HttpResponse<String> r = Http.send(gw.url("/emb"), "{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}");
            assertEquals(200, r.statusCode());
            assertEquals("/v1/embeddings", mock.last().path());
            RequestContext ctx = gw.nextFinished();
            assertEquals(5L, ctx.var("llm_prompt_tokens"));
            assertEquals("ai_chat", ctx.var("request_type"));
        }
    }

    @Test
    void nonJsonBodiesAre400AndNothingIsSent() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), "not json at all");
            assertEquals(400, r.statusCode());
            assertNotNull(new JsonObject(r.body()).getString("error_msg"));
            r = Http.send(gw.url("/chat"), "hello", "Content-Type", "text/plain");
            assertEquals(400, r.statusCode());
            assertNotNull(new JsonObject(r.body()).getString("error_msg"));
            r = Http.send(gw.url("/chat"), "{\"prompt\":\"no messages\"}");
            assertEquals(400, r.statusCode());
            assertEquals("no matching AI protocol for the request", new JsonObject(r.body()).getString("error_msg"));
            assertTrue(mock.seen.isEmpty());
        }
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(2 << 20) + "\"}]}";
            assertEquals(413, Http.send(gw.url("/chat"), big).statusCode());
            assertTrue(mock.seen.isEmpty());
        }
    }

    @Test
    void providerErrorsPassThroughWithTheirBody() throws Exception {
        mock.on("/err/chat", (req, s) -> req.response().setStatusCode(429)
                .putHeader("Content-Type", "application/json").end("{\"error\":{\"message\":\"slow down\"}}"));
        mock.on("/err5/chat", (req, s) -> req.response().setStatusCode(503).end("overloaded"));
        JsonObject c = conf("openai-compatible");
        c.getJsonObject("override").put("endpoint", mock.base() + "/err/chat");
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(429, r.statusCode());
            assertEquals("{\"error\":{\"message\":\"slow down\"}}", r.body());
            assertEquals(429, gw.nextFinished().var("upstream_status"));
        }
        c.getJsonObject("override").put("endpoint", mock.base() + "/err5/chat");
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(503, r.statusCode());
            assertEquals("overloaded", r.body());
        }
    }

    @Test
    void refusedConnectionIs502() throws Exception {
        JsonObject c = conf("openai");
        c.getJsonObject("override").put("endpoint", "http://127.0.0.1:" + Ports.free() + "/v1/chat/completions");
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(502, r.statusCode());
            String msg = new JsonObject(r.body()).getString("error_msg");
            assertNotNull(msg);
            assertFalse(msg.contains("sk-conf"));
        }
    }

    @Test
    void silentProviderIs504() throws Exception {
        mock.on("/silent", (req, s) -> { /* never answers */ });
        JsonObject c = conf("openai").put("timeout", 300);
        c.getJsonObject("override").put("endpoint", mock.base() + "/silent");
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(504, r.statusCode());
            assertNotNull(new JsonObject(r.body()).getString("error_msg"));
        }
    }

    @Test
    void unsetVariablesResolveAsAPISIXDoes() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf("openai"))) {
            assertEquals("traditional_http", gw.variables.resolve(null, "request_type"));
            assertNull(gw.variables.resolve(null, "llm_model"));
            assertNull(gw.variables.resolve(null, "llm_prompt_tokens"));
            assertTrue(gw.variables.isKnown("llm_time_to_first_token"));
        }
    }
}
