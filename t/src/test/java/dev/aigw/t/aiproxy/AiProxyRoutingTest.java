package dev.aigw.t.aiproxy;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.awaitLogEntries;
import static dev.aigw.t.aiproxy.AiProxyEnv.bearer;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static dev.aigw.t.aiproxy.AiProxyEnv.sdk;
import static dev.aigw.t.aiproxy.AiProxyEnv.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * One uri, several routes told apart by the request body ({@code vars} on {@code post_arg.model} and
 * on a nested {@code post_arg.metadata.tier}), each with another provider and key.
 */
class AiProxyRoutingTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final String URI = "/llm/v1/chat/completions";

    @BeforeAll
    static void routes() {
        String mock = ENV.mock().url();
        putRoute(ENV.gateway(), "by-model-openai", route(vars("post_arg.model", "gpt-4o"),
                aiProxy("openai", mock, bearer("key-openai-r1"))), new JsonObject().put("model", "gpt-4o"));
        putRoute(ENV.gateway(), "by-model-deepseek", route(vars("post_arg.model", "deepseek-chat"),
                aiProxy("deepseek", mock, bearer("key-deepseek-r2"))), new JsonObject().put("model", "deepseek-chat"));
        putRoute(ENV.gateway(), "by-tier-openrouter", route(vars("post_arg.metadata.tier", "premium"),
                aiProxy("openrouter", mock, bearer("key-openrouter-r3"))),
                new JsonObject().put("metadata", new JsonObject().put("tier", "premium")));
    }

    private static JsonArray vars(String var, String value) {
        return new JsonArray().add(new JsonArray().add(var).add("==").add(value));
    }

    private static JsonObject route(JsonArray vars, JsonObject aiProxy) {
        return new JsonObject().put("uri", URI).put("vars", vars)
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("route me");
    }

    @Test
    void theModelInTheBodyPicksTheProvider() {
        String id = testId();
        OpenAIClient client = sdk(gw(), "/llm/v1", "client-key", id);

        client.chat().completions().create(chat("deepseek-chat").build());
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/chat/completions", up.path());
        assertEquals("Bearer key-deepseek-r2", up.header("Authorization"));

        client.chat().completions().create(chat("gpt-4o").build());
        up = mock().lastRequest();
        assertEquals("/v1/chat/completions", up.path());
        assertEquals("Bearer key-openai-r1", up.header("Authorization"));

        var log = awaitLogEntries(gw(), id, 2);
        // each request's line names its route and model (two event loops may write them in either order)
        assertEquals(java.util.Set.of("by-model-deepseek deepseek-chat", "by-model-openai gpt-4o"),
                log.stream().map(e -> e.get("route_id") + " " + e.get("llm_model")).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void aNestedBodyFieldPicksTheProvider() {
        String id = testId();
        ChatCompletionCreateParams p = chat("some-model").metadata(ChatCompletionCreateParams.Metadata.builder()
                .putAdditionalProperty("tier", JsonValue.from("premium")).build()).build();
        sdk(gw(), "/llm/v1", "client-key", id).chat().completions().create(p);

        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/api/v1/chat/completions", up.path());
        assertEquals("Bearer key-openrouter-r3", up.header("Authorization"));
        assertEquals("premium", up.json().getJsonObject("metadata").getString("tier"), "the body is passed on whole");
        Map<String, String> log = awaitLogEntries(gw(), id, 1).get(0);
        assertEquals("by-tier-openrouter", log.get("route_id"));
    }

    @Test
    void noMatchingRouteIs404AndNothingIsSent() {
        String id = testId();
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> sdk(gw(), "/llm/v1", "client-key", id).chat().completions().create(chat("gpt-3.5").build()));
        assertEquals(404, e.statusCode());
        assertEquals(0, mock().count());
    }
}
