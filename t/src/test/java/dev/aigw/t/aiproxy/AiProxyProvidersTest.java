package dev.aigw.t.aiproxy;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.awaitLogEntry;
import static dev.aigw.t.aiproxy.AiProxyEnv.bearer;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static dev.aigw.t.aiproxy.AiProxyEnv.sdk;
import static dev.aigw.t.aiproxy.AiProxyEnv.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each provider, sent to the mock through {@code override.endpoint}: the path, the auth header or
 * query and the body that reach it; {@code options} (model override) merged over the client's body;
 * the client's own credentials never forwarded.
 */
class AiProxyProvidersTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final String CLIENT_KEY = "sk-client-providers-77aa";

    /**
     * One provider case.
     *
     * @param provider     APISIX provider name
     * @param endpointPath path (and query) appended to the mock's URL in {@code override.endpoint}
     * @param auth         ai-proxy's {@code auth}
     * @param expectPath   the path the mock must see
     * @param authHeader   the header that must carry the key (null: key in the query)
     * @param authValue    its expected value
     * @param expectQuery  expected query parameters
     * @param modelInBody  whether the body keeps {@code model} (Azure drops it: the deployment selects it)
     */
    record Case(String provider, String endpointPath, JsonObject auth, String expectPath, String authHeader,
                String authValue, Map<String, String> expectQuery, boolean modelInBody) {
        @Override
        public String toString() {
            return provider;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("openai", "", bearer("sk-openai-k1"), "/v1/chat/completions",
                        "Authorization", "Bearer sk-openai-k1", Map.of(), true),
                new Case("deepseek", "", bearer("sk-deepseek-k2"), "/chat/completions",
                        "Authorization", "Bearer sk-deepseek-k2", Map.of(), true),
                new Case("azure-openai", "/openai/deployments/gpt4o-dep/chat/completions?api-version=2024-10-21",
                        new JsonObject().put("header", new JsonObject().put("api-key", "azure-key-k3")),
                        "/openai/deployments/gpt4o-dep/chat/completions", "api-key", "azure-key-k3",
                        Map.of("api-version", "2024-10-21"), false),
                new Case("gemini", "", new JsonObject().put("query", new JsonObject().put("key", "gemini-key-k4")),
                        "/v1beta/openai/chat/completions", null, null, Map.of("key", "gemini-key-k4"), true),
                new Case("anthropic", "", new JsonObject().put("header", new JsonObject().put("x-api-key", "ant-key-k5")),
                        "/v1/chat/completions", "x-api-key", "ant-key-k5", Map.of(), true),
                new Case("openrouter", "", bearer("or-key-k6"), "/api/v1/chat/completions",
                        "Authorization", "Bearer or-key-k6", Map.of(), true),
                new Case("aimlapi", "", bearer("aiml-key-k7"), "/chat/completions",
                        "Authorization", "Bearer aiml-key-k7", Map.of(), true),
                new Case("openai-compatible", "/custom/llm/chat/completions?tenant=blue",
                        new JsonObject().put("query", new JsonObject().put("api_key", "compat-key-k8")),
                        "/custom/llm/chat/completions", null, null, Map.of("tenant", "blue", "api_key", "compat-key-k8"),
                        true));
    }

    @BeforeAll
    static void routes() {
        for (Case c : cases()) {
            putRoute(ENV.gateway(), "p-" + c.provider(), "/p/" + c.provider() + "/*",
                    aiProxy(c.provider(), ENV.mock().url() + c.endpointPath(), c.auth()));
        }
        JsonObject overridden = aiProxy("openai", ENV.mock().url(), bearer("sk-override-k9"))
                .put("options", new JsonObject().put("model", "gpt-4o-mini").put("temperature", 0.25)
                        .put("max_tokens", 64));
        putRoute(ENV.gateway(), "p-options", "/options/*", overridden);
        JsonObject bodyOverride = aiProxy("openai", ENV.mock().url(), bearer("sk-body-k10"));
        bodyOverride.getJsonObject("override")
                .put("llm_options", new JsonObject().put("max_tokens", 256))
                .put("request_body", new JsonObject().put("openai-chat", new JsonObject()
                        .put("temperature", 0.1).put("user", "gateway")
                        .put("metadata", new JsonObject().put("team", "blue").put("source", "gateway"))));
        putRoute(ENV.gateway(), "p-body", "/body/*", bodyOverride);
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void chatReachesTheProviderAsItExpects(Case c) {
        String id = testId();
        ChatCompletion resp = sdk(gw(), "/p/" + c.provider() + "/v1", CLIENT_KEY, id).chat().completions()
                .create(ChatCompletionCreateParams.builder().model("client-model").addUserMessage("ping").build());
        assertEquals("Hello from the mock LLM.", resp.choices().get(0).message().content().orElseThrow());

        assertEquals(1, mock().count(), "one provider call");
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("POST", up.method());
        assertEquals(c.expectPath(), up.path());
        if (c.authHeader() != null) {
            assertEquals(c.authValue(), up.header(c.authHeader()));
        }
        c.expectQuery().forEach((k, v) -> assertEquals(v, up.queryParam(k), "query " + k + " in " + up.query()));
        int params = up.query() == null ? 0 : up.query().split("&").length;
        assertEquals(c.expectQuery().size(), params, "query " + up.query());
        assertTrue(up.header("Content-Type").startsWith("application/json"));

        JsonObject body = up.json();
        assertEquals("ping", body.getJsonArray("messages").getJsonObject(0).getString("content"));
        if (c.modelInBody()) {
            assertEquals("client-model", body.getString("model"));
        } else {
            assertFalse(body.containsKey("model"), "model removed: " + body);
        }
        assertClientKeyAbsent(up);

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("200", log.get("status"));
        assertEquals(c.expectPath(), log.get("upstream_uri"));
        assertEquals("client-model", log.get("request_llm_model"));
    }

    @Test
    void optionsOverrideTheClientModelAndFields() {
        String id = testId();
        ChatCompletion resp = sdk(gw(), "/options/v1", CLIENT_KEY, id).chat().completions()
                .create(ChatCompletionCreateParams.builder().model("gpt-4o").temperature(1.5).addUserMessage("hi").build());
        JsonObject body = mock().lastRequest().json();
        assertEquals("gpt-4o-mini", body.getString("model"));
        assertEquals(0.25, body.getDouble("temperature"));
        assertEquals(64, body.getInteger("max_tokens"));
        assertEquals("gpt-4o-mini", resp.model(), "the provider answered for the configured model");

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("gpt-4o", log.get("request_llm_model"), "what the client asked for");
        assertEquals("gpt-4o-mini", log.get("llm_model"), "what was used");
    }

    /** APISIX 3.17's {@code override.llm_options} and {@code override.request_body}, as the provider receives them. */
    @Test
    void bodyOverridesReachTheProviderUnderItsOwnNamesAndTheClientKeepsItsFields() {
        HttpResult r = gw().http("POST", "/body/v1/chat/completions", new JsonObject().put("model", "gpt-4o")
                .put("max_tokens", 9000).put("temperature", 0.9)
                .put("metadata", new JsonObject().put("team", "red"))
                .put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user")
                        .put("content", "hi"))).encode());
        assertEquals(200, r.status(), r.toString());
        JsonObject body = mock().lastRequest().json();
        assertEquals(256, body.getInteger("max_completion_tokens"), "llm_options.max_tokens, under OpenAI's name");
        assertFalse(body.containsKey("max_tokens"), "the client's max_tokens replaced, not sent beside it: " + body);
        assertEquals(0.9, body.getDouble("temperature"), "request_body fills in: the client's own field wins");
        assertEquals("gateway", body.getString("user"), "a field the client did not send is added");
        assertEquals(new JsonObject().put("team", "red").put("source", "gateway"), body.getJsonObject("metadata"),
                "objects merge key by key");

        // request_body_force_override: the configured fields win; a protocol with no patch is left alone
        JsonObject forced = aiProxy("openai", mock().url(), bearer("sk-body-k10"));
        forced.getJsonObject("override").put("request_body_force_override", true)
                .put("request_body", new JsonObject().put("openai-chat", new JsonObject().put("temperature", 0.1))
                        .put("openai-embeddings", new JsonObject().put("dimensions", 8)));
        putRoute(gw(), "p-body-force", "/body-force/*", forced);
        assertEquals(200, gw().http("POST", "/body-force/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"temperature\":0.9,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .status());
        JsonObject sent = mock().lastRequest().json();
        assertEquals(0.1, sent.getDouble("temperature"));
        assertFalse(sent.containsKey("dimensions"), "the embeddings patch is not for chat: " + sent);

        // APISIX's schema: a protocol it does not know, or a max_tokens below 1, is refused
        for (JsonObject bad : List.of(new JsonObject().put("request_body", new JsonObject().put("openai-chats", new JsonObject())),
                new JsonObject().put("llm_options", new JsonObject().put("max_tokens", 0)),
                new JsonObject().put("llm_options", new JsonObject().put("temperature", 1)))) {
            JsonObject conf = aiProxy("openai", mock().url(), bearer("sk-body-k10"));
            conf.getJsonObject("override").mergeIn(bad);
            HttpResult refused = gw().admin("PUT", "/routes/p-body-bad", new JsonObject().put("uri", "/body-bad/*")
                    .put("plugins", new JsonObject().put("ai-proxy", conf)).encode());
            assertEquals(400, refused.status(), bad + " -> " + refused);
            assertTrue(refused.jsonObject().getString("error_msg").contains("ai-proxy"), refused.toString());
        }
        assertEquals(404, gw().admin("GET", "/routes/p-body-bad", null).status(), "nothing stored");
    }

    /** APISIX 3.18's observability variables in the access log, for a JSON answer and a stream. */
    @Test
    void toolsEndUserAndToolCallsAreLogged() {
        String plainId = testId();
        assertEquals(200, gw().http("POST", "/p/openai/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "X-Test-Id", plainId).status());
        Map<String, String> plain = awaitLogEntry(gw(), plainId);
        assertEquals("0", plain.get("llm_tool_count"));
        assertEquals("false", plain.get("llm_has_tool_calls"));
        assertEquals("", plain.get("llm_end_user_id"));
        assertEquals("0", plain.get("llm_reasoning_tokens"));
        assertEquals("", plain.get("llm_content_risk_level"), "no moderation plugin: empty, as APISIX");

        mock().toolCall("{\"city\":\"Paris\"}");
        io.vertx.core.json.JsonArray tools = new io.vertx.core.json.JsonArray();
        for (String name : new String[] {"weather", "time"}) {
            tools.add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", name)
                    .put("parameters", new JsonObject().put("type", "object"))));
        }
        for (boolean stream : new boolean[] {false, true}) {
            String id = testId();
            JsonObject body = new JsonObject().put("model", "gpt-4o").put("stream", stream).put("user", "end-user-9")
                    .put("tools", tools).put("messages", new io.vertx.core.json.JsonArray()
                            .add(new JsonObject().put("role", "user").put("content", "weather in Paris?")));
            HttpResult r = gw().http("POST", "/p/openai/v1/chat/completions", body.encode(), "X-Test-Id", id);
            assertEquals(200, r.status(), r.toString());
            assertTrue(r.body().contains("tool_calls"), "the mock called the tool: " + r.body());
            Map<String, String> log = awaitLogEntry(gw(), id);
            assertEquals("2", log.get("llm_tool_count"), "stream " + stream);
            assertEquals("true", log.get("llm_has_tool_calls"), "stream " + stream);
            assertEquals("end-user-9", log.get("llm_end_user_id"), "stream " + stream);
        }
    }

    @Test
    void embeddingsPathPerProvider() {
        String id = testId();
        CreateEmbeddingResponse r = sdk(gw(), "/p/gemini/v1", CLIENT_KEY, id).embeddings().create(
                EmbeddingCreateParams.builder().model("text-embedding-004").input("abc").build());
        assertEquals(1, r.data().size());
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/v1beta/openai/embeddings", up.path());
        assertEquals("gemini-key-k4", up.queryParam("key"));
        assertEquals("abc", up.json().getString("input"));
    }

    @Test
    void providerWithoutEmbeddingsRefusesThemWithoutCallingIt() {
        HttpResult r = gw().http("POST", "/p/deepseek/v1/embeddings",
                "{\"model\":\"deepseek-embed\",\"input\":\"abc\"}");
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.jsonObject().getString("error_msg").contains("embeddings"), r.body());
        assertEquals(0, mock().count());
    }

    @Test
    void noClientCredentialIsForwarded() {
        String id = testId();
        HttpResult r = gw().http("POST", "/p/anthropic/v1/chat/completions",
                "{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer " + CLIENT_KEY, "api-key", CLIENT_KEY, "x-api-key", CLIENT_KEY,
                "x-goog-api-key", CLIENT_KEY, "X-Test-Id", id);
        assertEquals(200, r.status(), r.toString());
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("ant-key-k5", up.header("x-api-key"), "the configured key replaces the client's");
        assertNull(up.header("Authorization"));
        assertNull(up.header("api-key"));
        assertNull(up.header("x-goog-api-key"));
        assertClientKeyAbsent(up);
        assertEquals(id, up.header("X-Test-Id"));
    }

    private static void assertClientKeyAbsent(MockLlm.RecordedRequest up) {
        up.headers().forEach((name, values) -> values.forEach(v ->
                assertFalse(v.contains(CLIENT_KEY), "client key forwarded in header " + name)));
        assertFalse(up.query() != null && up.query().contains(CLIENT_KEY), "client key in the query");
        assertFalse(up.body().contains(CLIENT_KEY), "client key in the body");
    }
}
