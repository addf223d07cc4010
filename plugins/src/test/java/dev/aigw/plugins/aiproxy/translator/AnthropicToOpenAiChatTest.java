package dev.aigw.plugins.aiproxy.translator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APISIX's Anthropic → OpenAI conversion rules, one by one (the SDK tests in t/ cover the whole trip). */
class AnthropicToOpenAiChatTest {

    private static JsonObject req(String json) throws TranslationException {
        return new AnthropicToOpenAiChat().request(new JsonObject(json), false);
    }

    @Test
    void requestFieldsAreConvertedAndUnknownOnesDropped() throws Exception {
        JsonObject out = req("""
                {"model":"m","max_tokens":100,"stop_sequences":["X"],"temperature":0.2,"top_k":5,
                 "system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}],
                 "thinking":{"type":"enabled","budget_tokens":2048},"metadata":{"user_id":"u1"},"stream":true,
                 "messages":[{"role":"user","content":[{"type":"text","text":"look"},
                   {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}}]}]}""");
        assertEquals(100, out.getInteger("max_completion_tokens"));
        assertNull(out.getValue("max_tokens"));
        assertNull(out.getValue("top_k"), "whitelist: unknown fields never reach the provider");
        assertEquals(new JsonArray().add("X"), out.getJsonArray("stop"));
        assertEquals("medium", out.getString("reasoning_effort"));
        assertEquals("u1", out.getString("user"));
        assertTrue(out.getJsonObject("stream_options").getBoolean("include_usage"));
        JsonArray msgs = out.getJsonArray("messages");
        assertEquals(new JsonObject().put("role", "system").put("content", "AB"), msgs.getJsonObject(0));
        assertEquals("data:image/jpeg;base64,QUJD", msgs.getJsonObject(1).getJsonArray("content").getJsonObject(1)
                .getJsonObject("image_url").getString("url"));
    }

    @Test
    void toolNamesAreSanitisedWithAStableHashAndBuiltinToolsDropped() throws Exception {
        AnthropicToOpenAiChat t = new AnthropicToOpenAiChat();
        JsonObject out = t.request(new JsonObject("""
                {"model":"m","max_tokens":5,"tool_choice":{"type":"tool","name":"a.b","disable_parallel_tool_use":true},
                 "tools":[{"name":"a.b","input_schema":{"type":"object"}},{"type":"bash_20250124","name":"bash"},
                          {"name":"ok_name","input_schema":{"type":"object"}}],
                 "messages":[{"role":"user","content":"hi"}]}"""), false);
        JsonArray tools = out.getJsonArray("tools");
        assertEquals(2, tools.size(), "the built-in bash tool is dropped");
        String renamed = tools.getJsonObject(0).getJsonObject("function").getString("name");
        assertTrue(renamed.matches("a_b_[0-9a-f]{8}"), renamed);
        assertEquals(renamed, t.openAiName("a.b"), "a pure function of the name");
        assertEquals("ok_name", tools.getJsonObject(1).getJsonObject("function").getString("name"));
        assertEquals(renamed, out.getJsonObject("tool_choice").getJsonObject("function").getString("name"));
        assertFalse(out.getBoolean("parallel_tool_calls"));

        // the answer restores the original name
        Buffer answer = t.response(new JsonObject().put("id", "x").put("model", "m").put("choices", new JsonArray().add(
                new JsonObject().put("finish_reason", "tool_calls").put("message", new JsonObject().put("tool_calls",
                        new JsonArray().add(new JsonObject().put("id", "c1").put("function",
                                new JsonObject().put("name", renamed).put("arguments", "{\"q\":1}")))))))
                .put("usage", new JsonObject().put("prompt_tokens", 10).put("completion_tokens", 2)
                        .put("prompt_tokens_details", new JsonObject().put("cached_tokens", 4))).toBuffer(), new Observation(false));
        JsonObject msg = answer.toJsonObject();
        assertEquals("a.b", msg.getJsonArray("content").getJsonObject(0).getString("name"));
        assertEquals("tool_use", msg.getString("stop_reason"));
        assertEquals(6, msg.getJsonObject("usage").getInteger("input_tokens"), "prompt minus cached");
        assertEquals(4, msg.getJsonObject("usage").getInteger("cache_read_input_tokens"));
    }

    @Test
    void toolResultsFollowTheCallAndBadMessagesAre400() throws Exception {
        JsonObject out = req("""
                {"model":"m","max_tokens":5,"messages":[
                  {"role":"assistant","content":[{"type":"text","text":"calling"},{"type":"tool_use","id":"t1","name":"f","input":{"x":1}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"42"}]},
                                            {"type":"text","text":"and?"}]}]}""");
        JsonArray msgs = out.getJsonArray("messages");
        assertEquals("calling", msgs.getJsonObject(0).getString("content"));
        assertEquals("{\"x\":1}", msgs.getJsonObject(0).getJsonArray("tool_calls").getJsonObject(0)
                .getJsonObject("function").getString("arguments"));
        assertEquals(new JsonObject().put("role", "tool").put("tool_call_id", "t1").put("content", "42"), msgs.getJsonObject(1));
        assertEquals("user", msgs.getJsonObject(2).getString("role"));
        TranslationException e = assertThrows(TranslationException.class, () -> req("{\"messages\":[]}"));
        assertEquals("missing messages", e.getMessage());
        e = assertThrows(TranslationException.class, () -> req("{\"messages\":[{\"content\":\"x\"}]}"));
        assertEquals("invalid message at index 1", e.getMessage());
    }

    private static String sse(Object data) {
        return "data: " + (data instanceof JsonObject j ? j.encode() : data) + "\n\n";
    }

    @Test
    void streamBecomesAnthropicsEventSequenceWithPingAndDeferredUsage() throws Exception {
        AnthropicToOpenAiChat t = new AnthropicToOpenAiChat();
        t.request(new JsonObject("{\"model\":\"claude-x\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), false);
        Observation obs = new Observation(true);
        String in = sse(new JsonObject("{\"id\":\"c\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"hmm\"}}]}"))
                + "event: ping\ndata: {}\n\n"
                + sse(new JsonObject("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}"))
                + sse(new JsonObject("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}"))
                + sse(new JsonObject("{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}"))
                + sse("[DONE]");
        Buffer out = t.streamChunk(Buffer.buffer(in), obs).appendBuffer(t.streamEnd(obs));
        String s = out.toString(StandardCharsets.UTF_8);
        String[] order = {"event: message_start", "event: content_block_start", "\"thinking_delta\"", "event: ping",
            "event: content_block_stop", "\"text_delta\"", "event: message_delta", "event: message_stop"};
        int at = -1;
        for (String o : order) {
            int i = s.indexOf(o, at + 1);
            assertTrue(i > at, o + " in order in:\n" + s);
            at = i;
        }
        assertTrue(s.contains("\"stop_reason\":\"end_turn\""));
        assertTrue(s.contains("\"output_tokens\":2"), "the trailing usage chunk completes message_delta");
        assertTrue(s.contains("\"model\":\"claude-x\""), "the client sees the model it asked for");
        assertEquals(1, s.split("event: message_stop", -1).length - 1);
        assertEquals("Hello", obs.text());
        assertEquals(9, obs.usage().promptTokens());
    }

    @Test
    void anUpstreamErrorMidStreamIsAnAnthropicErrorEvent() throws Exception {
        AnthropicToOpenAiChat t = new AnthropicToOpenAiChat();
        t.request(new JsonObject("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), false);
        String s = t.streamChunk(Buffer.buffer(sse(new JsonObject("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}"))),
                new Observation(false)).toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("event: error\n"), s);
        assertTrue(s.contains("{\"type\":\"error\",\"error\":{\"type\":\"server_error\",\"message\":\"overloaded\"}}"), s);
    }
}
