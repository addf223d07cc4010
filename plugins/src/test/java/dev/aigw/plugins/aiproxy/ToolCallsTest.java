package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code llm_has_tool_calls} read from the client's bytes, and the usage details behind APISIX 3.18's token variables. */
class ToolCallsTest {

    private static boolean in(AiProtocol p, String s) {
        return ToolCalls.in(p, Buffer.buffer(s));
    }

    @Test
    void openAiChatToolCallsAreANonEmptyArrayOrTheFinishReason() {
        assertTrue(in(AiProtocol.CHAT, "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}\n\n"));
        assertTrue(in(AiProtocol.CHAT, "{\"message\":{\"tool_calls\" : [ {\"id\":\"c\"}]}}"), "spacing of other servers");
        assertTrue(in(AiProtocol.CHAT, "{\"finish_reason\":\"tool_calls\"}"));
        assertFalse(in(AiProtocol.CHAT, "{\"delta\":{\"content\":\"x\",\"tool_calls\":[]}}"), "an empty list calls nothing");
        assertFalse(in(AiProtocol.CHAT, "{\"delta\":{\"tool_calls\":null}}"));
        assertFalse(in(AiProtocol.CHAT, "{\"content\":\"say \\\"tool_calls\\\":[{ to me\"}"), "inside a string");
        assertFalse(in(AiProtocol.EMBEDDINGS, "{\"finish_reason\":\"tool_calls\"}"));
    }

    @Test
    void anthropicToolUseAndResponsesFunctionCallAsValues() {
        assertTrue(in(AiProtocol.ANTHROPIC_MESSAGES,
                "event: content_block_start\ndata: {\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\"}}\n\n"));
        assertTrue(in(AiProtocol.ANTHROPIC_MESSAGES, "{\"stop_reason\":\"tool_use\"}"));
        assertFalse(in(AiProtocol.ANTHROPIC_MESSAGES, "{\"text\":\"I will not \\\"tool_use\\\", here\"}"));
        assertTrue(in(AiProtocol.RESPONSES, "{\"item\":{\"type\":\"function_call\",\"name\":\"f\"}}"));
        assertFalse(in(AiProtocol.RESPONSES, "{\"item\":{\"type\":\"function_call_output\"}}"));
    }

    @Test
    void usageDetailsPerProtocol() {
        TokenUsage openAi = TokenUsage.fromOpenAi(new JsonObject().put("prompt_tokens", 50).put("completion_tokens", 10)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", 32))
                .put("completion_tokens_details", new JsonObject().put("reasoning_tokens", 7)));
        assertEquals(32, openAi.cachedTokens());
        assertEquals(7, openAi.reasoningTokens());
        assertEquals(40, TokenUsage.fromOpenAi(new JsonObject().put("prompt_tokens", 50)
                .put("prompt_cache_hit_tokens", 40)).cachedTokens(), "DeepSeek's name for it");
        TokenUsage anthropic = TokenUsage.fromAnthropic(new JsonObject().put("input_tokens", 5).put("output_tokens", 2)
                .put("cache_read_input_tokens", 100).put("cache_creation_input_tokens", 20));
        assertEquals(100, anthropic.cachedTokens());
        assertEquals(20, anthropic.cacheCreationTokens());
        assertEquals(9, TokenUsage.fromResponses(new JsonObject().put("input_tokens", 5).put("output_tokens", 20)
                .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 9))).reasoningTokens());
    }
}
