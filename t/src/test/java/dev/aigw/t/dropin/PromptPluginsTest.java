package dev.aigw.t.dropin;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code ai-prompt-decorator}, {@code ai-prompt-template} and {@code ai-prompt-guard} in front of
 * {@code ai-proxy}, as APISIX's documentation configures them: what the provider (the mock) receives,
 * and what a refused client is told.
 */
class PromptPluginsTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    @BeforeAll
    static void routes() {
        JsonObject decorator = new JsonObject()
                .put("prepend", new JsonArray().add(msg("system", "Answer in one sentence.")))
                .put("append", new JsonArray().add(msg("user", "End with a question.")));
        put("decorated", "/decorated/v1/chat/completions", new JsonObject().put("ai-prompt-decorator", decorator));

        JsonObject template = new JsonObject().put("templates", new JsonArray().add(new JsonObject()
                .put("name", "level of detail")
                .put("template", new JsonObject().put("model", "gpt-4o-mini").put("messages", new JsonArray()
                        .add(msg("user", "Explain about {{ topic }} in {{ level }}."))))));
        put("templated", "/templated/v1/chat/completions", new JsonObject().put("ai-prompt-template", template));
        put("templated-decorated", "/tdecorated/v1/chat/completions", new JsonObject()
                .put("ai-prompt-template", template).put("ai-prompt-decorator", decorator));

        JsonObject guard = new JsonObject()
                .put("allow_patterns", new JsonArray().add("(?i)gateway|proxy"))
                .put("deny_patterns", new JsonArray().add("\\b\\d{4}[- ]?\\d{4}[- ]?\\d{4}[- ]?\\d{4}\\b"));
        put("guarded", "/guarded/v1/chat/completions", new JsonObject().put("ai-prompt-guard", guard));
        put("guarded-strict", "/strict/v1/chat/completions", new JsonObject()
                .put("ai-prompt-guard", guard.copy().put("fail_mode", "error")));
    }

    private static JsonObject msg(String role, String content) {
        return new JsonObject().put("role", role).put("content", content);
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    /** A route with ai-proxy (to the mock) and {@code plugins}; waits until the data plane serves it. */
    private static void put(String id, String uri, JsonObject plugins) {
        plugins.put("ai-proxy", new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-provider")))
                .put("override", new JsonObject().put("endpoint", mock().url())));
        HttpResult r = gw().admin("PUT", "/routes/" + id, new JsonObject().put("uri", uri).put("plugins", plugins).encode());
        assertTrue(r.status() == 200 || r.status() == 201, "stored: " + r);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gw().http("GET", uri, null).status() == 404) {
            if (System.nanoTime() - deadline > 0) {
                fail("route " + id + " not live");
            }
            sleep(50);
        }
    }

    private static OpenAIClient sdk(String base) {
        return OpenAIOkHttpClient.builder().baseUrl(gw().url(base)).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    private static ChatCompletionCreateParams ask(String text) {
        return ChatCompletionCreateParams.builder().model(ChatModel.GPT_4O_MINI)
                .addSystemMessage("You are terse.").addUserMessage(text).build();
    }

    private static String chat(String userText) {
        return new JsonObject().put("model", "gpt-4o-mini")
                .put("messages", new JsonArray().add(msg("user", userText))).encode();
    }

    @Test
    void decoratorWrapsTheClientsMessagesAsTheProviderSeesThem() {
        mock().reset();
        ChatCompletion c = sdk("/decorated/v1").chat().completions().create(ask("What is a gateway?"));
        assertTrue(c.choices().get(0).message().content().isPresent());
        JsonArray sent = mock().lastRequest().json().getJsonArray("messages");
        assertEquals(4, sent.size(), sent.encode());
        assertEquals(msg("system", "Answer in one sentence."), sent.getJsonObject(0));
        assertEquals("You are terse.", sent.getJsonObject(1).getString("content"));
        assertEquals("What is a gateway?", sent.getJsonObject(2).getString("content"));
        assertEquals(msg("user", "End with a question."), sent.getJsonObject(3));
    }

    /** The template renders first (priority 1071), the decorator wraps what it rendered (1070), as APISIX. */
    @Test
    void decoratorWrapsTheRenderedTemplate() {
        mock().reset();
        HttpResult r = gw().http("POST", "/tdecorated/v1/chat/completions", new JsonObject()
                .put("template_name", "level of detail").put("topic", "gateways").put("level", "brief").encode(),
                "Content-Type", "application/json");
        assertEquals(200, r.status(), r.body());
        JsonObject sent = mock().lastRequest().json();
        JsonArray messages = sent.getJsonArray("messages");
        assertEquals(3, messages.size(), messages.encode());
        assertEquals(msg("system", "Answer in one sentence."), messages.getJsonObject(0));
        assertEquals(msg("user", "Explain about gateways in brief."), messages.getJsonObject(1));
        assertEquals(msg("user", "End with a question."), messages.getJsonObject(2));
        assertNull(sent.getValue("template_name"), "the template's body, not the client's");
    }

    @Test
    void decoratorRefusesABodyThatIsNotJson() {
        HttpResult r = gw().http("POST", "/decorated/v1/chat/completions", "{not json",
                "Content-Type", "application/json");
        assertEquals(400, r.status());
        assertTrue(r.jsonObject().getString("message").startsWith("could not parse JSON request body"), r.body());
    }

    @Test
    void templateFillsTheNamedTemplateFromTheRequestFields() {
        mock().reset();
        // quotes, a newline and markup in a value must reach the provider exactly, in valid JSON
        String topic = "the \"<script>\" tag\nin HTML";
        HttpResult r = gw().http("POST", "/templated/v1/chat/completions", new JsonObject()
                .put("template_name", "level of detail").put("topic", topic).put("level", "depth").encode());
        assertEquals(200, r.status(), r.body());
        JsonObject sent = mock().lastRequest().json();
        assertEquals("gpt-4o-mini", sent.getString("model"));
        assertEquals("Explain about " + topic + " in depth.",
                sent.getJsonArray("messages").getJsonObject(0).getString("content"));
    }

    @Test
    void templateNameMissingOrUnknownIs400InApisixWords() {
        HttpResult missing = gw().http("POST", "/templated/v1/chat/completions", "{\"topic\":\"x\"}");
        assertEquals(400, missing.status());
        assertEquals("template name is missing in request.", missing.jsonObject().getString("message"));
        HttpResult unknown = gw().http("POST", "/templated/v1/chat/completions", "{\"template_name\":\"nope\"}");
        assertEquals(400, unknown.status());
        assertEquals("template: nope not configured.", unknown.jsonObject().getString("message"));
    }

    @Test
    void guardPassesAllowedPromptsAndRefusesOthersBeforeTheProvider() {
        mock().reset();
        OpenAIClient client = sdk("/guarded/v1");
        assertTrue(client.chat().completions().create(ask("How does a proxy work?")).choices().size() > 0);
        assertEquals(1, mock().count(MockLlm.Kind.CHAT));

        // the SDK sees a 400; the body is APISIX's {"message": …}
        assertThrows(BadRequestException.class, () -> client.chat().completions().create(ask("Tell me a joke")));
        HttpResult notAllowed = gw().http("POST", "/guarded/v1/chat/completions", chat("Tell me a joke"));
        assertEquals(400, notAllowed.status());
        assertEquals("Request doesn't match allow patterns", notAllowed.jsonObject().getString("message"));
        HttpResult denied = gw().http("POST", "/guarded/v1/chat/completions",
                chat("my gateway card is 4111 1111 1111 1111"));
        assertEquals(400, denied.status());
        assertEquals("Request contains prohibited content", denied.jsonObject().getString("message"));
        assertEquals(1, mock().count(MockLlm.Kind.CHAT), "refused prompts never reach the provider");
    }

    @Test
    void guardChecksOnlyTheLastUserMessageByDefault() {
        mock().reset();
        // an earlier turn holds a number the deny pattern would catch; only the last message counts
        JsonObject body = new JsonObject().put("messages", new JsonArray()
                .add(msg("user", "card 4111 1111 1111 1111"))
                .add(msg("assistant", "noted"))
                .add(msg("user", "which gateway do you use?")));
        assertEquals(200, gw().http("POST", "/guarded/v1/chat/completions", body.encode()).status());
    }

    @Test
    void guardFailModeDecidesForRequestsThatAreNotAiRequests() {
        // skip (default): not an AI request, the guard lets it through (ai-proxy then refuses it)
        HttpResult skipped = gw().http("POST", "/guarded/v1/chat/completions", "{\"hello\":1}");
        assertTrue(skipped.body().contains("no matching AI protocol"), skipped.body());
        HttpResult strict = gw().http("POST", "/strict/v1/chat/completions", "{\"hello\":1}");
        assertEquals(400, strict.status());
        assertEquals("Request format not recognized by ai-prompt-guard", strict.jsonObject().getString("message"));
    }

    @Test
    void badConfigurationsAreRefusedByTheAdminApi() {
        HttpResult badRegex = gw().admin("PUT", "/routes/bad-guard", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("ai-prompt-guard",
                        new JsonObject().put("deny_patterns", new JsonArray().add("(unclosed")))).encode());
        assertEquals(400, badRegex.status());
        assertTrue(badRegex.jsonObject().getString("error_msg").contains("invalid deny_pattern: (unclosed"), badRegex.body());
        HttpResult noPrompts = gw().admin("PUT", "/routes/bad-deco", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("ai-prompt-decorator", new JsonObject())).encode());
        assertEquals(400, noPrompts.status(), noPrompts.body());
        assertEquals(404, gw().admin("GET", "/routes/bad-guard", null).status());
    }
}
