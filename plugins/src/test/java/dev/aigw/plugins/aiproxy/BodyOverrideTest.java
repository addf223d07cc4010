package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.provider.Providers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APISIX 3.17's {@code override.llm_options} and {@code override.request_body}, case by case. */
class BodyOverrideTest {

    private static JsonObject applied(String provider, AiProtocol target, JsonObject override, JsonObject body) {
        BodyOverride.parse(override).apply(Providers.byName(provider), target, body);
        return body;
    }

    @Test
    void maxTokensGoesWhereEachProviderReadsItAndReplacesTheClients() {
        JsonObject max = new JsonObject().put("llm_options", new JsonObject().put("max_tokens", 100));
        JsonObject openAi = applied("openai", AiProtocol.CHAT, max, new JsonObject().put("max_tokens", 5)
                .put("max_completion_tokens", 7));
        assertEquals(new JsonObject().put("max_completion_tokens", 100L), openAi, "OpenAI chat: the new name only");
        assertEquals(100L, applied("openai", AiProtocol.RESPONSES, max, new JsonObject()).getValue("max_output_tokens"));
        assertEquals(100L, applied("deepseek", AiProtocol.CHAT, max, new JsonObject().put("max_tokens", 5))
                .getValue("max_tokens"));
        assertEquals(100L, applied("anthropic", AiProtocol.ANTHROPIC_MESSAGES, max, new JsonObject())
                .getValue("max_tokens"));
        JsonObject gemini = applied("gemini", AiProtocol.CHAT, max, new JsonObject().put("max_tokens", 5));
        assertEquals(100L, gemini.getValue("max_completion_tokens"));
        assertEquals(5, gemini.getValue("max_tokens"), "Gemini: APISIX leaves max_tokens as the client sent it");
        JsonObject config = new JsonObject().put("temperature", 0.5);
        JsonObject bedrock = applied("bedrock", AiProtocol.BEDROCK_CONVERSE, max,
                new JsonObject().put("inferenceConfig", config));
        assertEquals(new JsonObject().put("temperature", 0.5).put("maxTokens", 100L), bedrock.getJsonObject("inferenceConfig"));
        assertFalse(config.containsKey("maxTokens"), "the nested object is copied, not changed in place");
        assertEquals(new JsonObject().put("input", "x"),
                applied("openai", AiProtocol.EMBEDDINGS, max, new JsonObject().put("input", "x")), "embeddings: none");
    }

    @Test
    void requestBodyFillsInDeeplyAndTheClientWinsUnlessForced() {
        JsonObject patch = new JsonObject().put("temperature", 0.1).put("user", "gw")
                .put("stop", new JsonArray().add("x"))
                .put("metadata", new JsonObject().put("team", "blue").put("tags", new JsonObject().put("a", 1)));
        JsonObject override = new JsonObject().put("request_body", new JsonObject().put("openai-chat", patch));
        JsonObject clientMeta = new JsonObject().put("team", "red").put("tags", new JsonObject().put("b", 2));
        JsonObject body = new JsonObject().put("temperature", 0.9).put("stop", new JsonArray().add("y"))
                .put("seed", (Object) null).put("metadata", clientMeta);
        applied("openai", AiProtocol.CHAT, override.copy().put("request_body", new JsonObject()
                .put("openai-chat", patch.copy().put("seed", 3))), body);
        assertEquals(0.9, body.getValue("temperature"), "the client's field stays");
        assertEquals(new JsonArray().add("y"), body.getValue("stop"), "an array is a value: the client's stays");
        assertEquals("gw", body.getValue("user"), "a missing field is added");
        assertTrue(body.containsKey("seed") && body.getValue("seed") == null, "an explicit null is the client's value");
        assertEquals(new JsonObject().put("team", "red").put("tags", new JsonObject().put("b", 2).put("a", 1)),
                body.getJsonObject("metadata"), "objects merge at every depth");
        assertEquals(new JsonObject().put("team", "red").put("tags", new JsonObject().put("b", 2)), clientMeta,
                "the client's own objects are not changed (failover resends them)");

        JsonObject forced = applied("openai", AiProtocol.CHAT, override.copy().put("request_body_force_override", true),
                new JsonObject().put("temperature", 0.9).put("stop", new JsonArray().add("y"))
                        .put("metadata", new JsonObject().put("team", "red").put("keep", true)));
        assertEquals(0.1, forced.getValue("temperature"));
        assertEquals(new JsonArray().add("x"), forced.getValue("stop"), "forced: replaced whole");
        assertEquals(new JsonObject().put("team", "blue").put("keep", true).put("tags", new JsonObject().put("a", 1)),
                forced.getJsonObject("metadata"), "forced objects still merge: the client's other keys stay");

        assertEquals(new JsonObject().put("input", "x"), applied("openai", AiProtocol.EMBEDDINGS, override,
                new JsonObject().put("input", "x")), "only the target protocol's patch applies");
    }

    @Test
    void noOverrideIsNone() {
        assertSame(BodyOverride.NONE, BodyOverride.parse(null));
        assertSame(BodyOverride.NONE, BodyOverride.parse(new JsonObject().put("endpoint", "http://x")));
        assertNull(BodyOverride.NONE.describe());
        assertTrue(BodyOverride.parse(new JsonObject().put("request_body", new JsonObject()
                .put("passthrough", new JsonObject().put("a", 1)))).patching(AiProtocol.PASSTHROUGH));
    }
}
