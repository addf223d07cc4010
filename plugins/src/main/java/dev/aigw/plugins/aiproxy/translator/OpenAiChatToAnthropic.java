package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * OpenAI chat client to Anthropic's native Messages API (beyond APISIX, which sends OpenAI clients
 * to Anthropic's OpenAI-compatible endpoint; Higress's {@code claude.go} rules where they apply).
 *
 * <p>Request: system and developer messages → {@code system}; {@code tool_calls} → {@code tool_use}
 * blocks; {@code role: tool} messages → one user message of {@code tool_result} blocks; image URLs
 * (data URIs as base64) → image blocks; functions → tools; {@code tool_choice} and
 * {@code parallel_tool_calls}; {@code stop} → {@code stop_sequences}; {@code reasoning_effort} →
 * {@code thinking} budget (low 1024, medium 8192, high 16384); {@code max_tokens} (Anthropic's is
 * required: 4096 when the client gives none); {@code user} → {@code metadata.user_id}.
 * Answer: a {@code chat.completion} (text, {@code reasoning_content}, {@code tool_calls}, finish
 * reasons mapped, usage with the cache reads as {@code cached_tokens}); a stream as
 * {@code chat.completion.chunk}s ending with {@code [DONE]}, the usage chunk only when the client
 * asked for it; errors as OpenAI error objects.
 */
public final class OpenAiChatToAnthropic extends SseTranslator {

    /** Anthropic requires {@code max_tokens}; Higress uses the same default. */
    static final int DEFAULT_MAX_TOKENS = 4096;

    private static final Map<String, String> FINISH = Map.of(
            "end_turn", "stop", "stop_sequence", "stop", "max_tokens", "length",
            "tool_use", "tool_calls", "refusal", "content_filter", "pause_turn", "stop");

    private String model;

    // stream state
    private final ChatToBlocks.Chunks chunks = new ChatToBlocks.Chunks("chatcmpl-aigw");
    private long input;
    private long cacheRead;
    private long cacheCreation;
    private long output;
    private boolean sawUsage;
    private boolean started;
    private boolean finished;

    /** Anthropic's blocks: typed text, images and documents, {@code tool_use}, {@code tool_result}. */
    private static final ChatToBlocks.Blocks BLOCKS = new ChatToBlocks.Blocks() {
        @Override
        public JsonObject text(String text) {
            return new JsonObject().put("type", "text").put("text", text);
        }

        @Override
        public JsonObject part(JsonObject part) {
            return block(part);
        }

        @Override
        public JsonObject toolUse(Object id, Object name, JsonObject input) {
            return new JsonObject().put("type", "tool_use").put("id", id instanceof String s ? s : "")
                    .put("name", name instanceof String s ? s : "").put("input", input);
        }

        @Override
        public JsonObject toolResult(String toolCallId, Object content) {
            return new JsonObject().put("type", "tool_result").put("tool_use_id", toolCallId)
                    .put("content", content instanceof JsonArray parts ? ChatToBlocks.parts(parts, this)
                            : content instanceof String s ? s : "");
        }
    };

    public OpenAiChatToAnthropic() {
        super(AiProtocol.CHAT, AiProtocol.ANTHROPIC_MESSAGES);
    }

    // ------------------------------------------------------------------ request

    @Override
    public JsonObject request(JsonObject in, boolean clientAskedUsage) throws TranslationException {
        chunks.includeUsage = clientAskedUsage;
        ChatToBlocks.Conversation conversation = ChatToBlocks.conversation(in.getValue("messages"), BLOCKS);
        JsonObject out = new JsonObject();
        if (in.getValue("model") instanceof String m) {
            out.put("model", m);
            model = m;
            chunks.model = m;
        }
        Long max = ChatToBlocks.maxTokens(in);
        long maxTokens = max != null ? max : DEFAULT_MAX_TOKENS;
        if (!conversation.system().isEmpty()) {
            out.put("system", String.join("\n\n", conversation.system()));
        }
        out.put("messages", conversation.messages());
        if (in.getValue("temperature") != null) {
            out.put("temperature", in.getValue("temperature"));
        }
        if (in.getValue("top_p") != null) {
            out.put("top_p", in.getValue("top_p"));
        }
        JsonArray stop = ChatToBlocks.stopSequences(in.getValue("stop"));
        if (stop != null) {
            out.put("stop_sequences", stop);
        }
        if (Boolean.TRUE.equals(in.getValue("stream"))) {
            out.put("stream", true);
        }
        if (in.getValue("reasoning_effort") instanceof String effort) {
            int budget = switch (effort) {
                case "low", "minimal" -> 1024;
                case "medium" -> 8192;
                case "high", "xhigh" -> 16384;
                default -> 0;
            };
            if (budget > 0) {
                out.put("thinking", new JsonObject().put("type", "enabled").put("budget_tokens", budget));
                maxTokens = Math.max(maxTokens, budget + 1024L); // the budget must stay below max_tokens
            }
        }
        out.put("max_tokens", maxTokens);
        if (in.getValue("user") instanceof String u) {
            out.put("metadata", new JsonObject().put("user_id", u));
        }
        List<ChatToBlocks.Function> functions = ChatToBlocks.functions(in.getValue("tools"));
        if (!functions.isEmpty()) {
            JsonArray ts = new JsonArray();
            for (ChatToBlocks.Function fn : functions) {
                JsonObject tool = new JsonObject().put("name", fn.name());
                if (fn.description() != null) {
                    tool.put("description", fn.description());
                }
                ts.add(tool.put("input_schema", fn.parameters()));
            }
            out.put("tools", ts);
            JsonObject choice = ChatToBlocks.toolChoice(in.getValue("tool_choice"));
            if (Boolean.FALSE.equals(in.getValue("parallel_tool_calls"))) {
                if (choice == null) {
                    choice = new JsonObject().put("type", "auto");
                }
                if (!"none".equals(choice.getValue("type"))) {
                    choice.put("disable_parallel_tool_use", true);
                }
            }
            if (choice != null) {
                out.put("tool_choice", choice);
            }
        }
        return out;
    }

    /** One OpenAI content part as an Anthropic block, or null. */
    private static JsonObject block(JsonObject p) {
        Object type = p.getValue("type");
        if ("text".equals(type) && p.getValue("text") instanceof String t) {
            return new JsonObject().put("type", "text").put("text", t);
        }
        if ("image_url".equals(type)) {
            Object iu = p.getValue("image_url");
            String url = iu instanceof JsonObject o && o.getValue("url") instanceof String s ? s : iu instanceof String s2 ? s2 : null;
            if (url == null) {
                return null;
            }
            if (url.startsWith("data:")) {
                int semi = url.indexOf(';');
                int comma = url.indexOf(',');
                if (semi > 5 && comma > semi && url.substring(semi, comma).equals(";base64")) {
                    String mt = url.substring(5, semi);
                    return new JsonObject().put("type", mt.equals("application/pdf") ? "document" : "image")
                            .put("source", new JsonObject().put("type", "base64").put("media_type", mt)
                                    .put("data", url.substring(comma + 1)));
                }
                return null;
            }
            return new JsonObject().put("type", "image").put("source", new JsonObject().put("type", "url").put("url", url));
        }
        return null;
    }

    @Override
    public void headers(MultiMap headers) {
        AnthropicNative.anthropicHeaders(headers);
    }

    // ------------------------------------------------------------------ answer

    @Override
    public Buffer response(Buffer body, Observation obs) throws TranslationException {
        JsonObject res = parse(body);
        if (res == null || !"message".equals(res.getValue("type"))) {
            if (res != null && res.getValue("error") != null) {
                return openAiError(res, 500).toBuffer();
            }
            throw new TranslationException(502, "invalid response from the LLM server");
        }
        JsonObject usage = openAiUsage(res.getValue("usage"));
        obs.usage(TokenUsage.fromOpenAi(usage));
        obs.model(res.getValue("model") instanceof String m ? m : null);
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        JsonArray calls = new JsonArray();
        if (res.getValue("content") instanceof JsonArray content) {
            for (Object o : content) {
                if (!(o instanceof JsonObject b)) {
                    continue;
                }
                switch (String.valueOf(b.getValue("type"))) {
                    case "text" -> text.append(b.getValue("text") instanceof String t ? t : "");
                    case "thinking" -> reasoning.append(b.getValue("thinking") instanceof String t ? t : "");
                    case "tool_use" -> calls.add(ChatToBlocks.toolCall(b.getValue("id"), b.getValue("name"), b.getValue("input")));
                    default -> { }
                }
            }
        }
        obs.text(text.toString());
        return ChatToBlocks.completion(res.getValue("id") instanceof String s ? s : "chatcmpl-aigw",
                System.currentTimeMillis() / 1000, res.getValue("model") instanceof String m ? m : model,
                ChatToBlocks.assistantMessage(text, reasoning, calls),
                ChatToBlocks.finishReason(FINISH, res.getValue("stop_reason")), usage).toBuffer();
    }

    /** Anthropic usage → OpenAI's: the prompt counts the cache reads and writes too, the reads as {@code cached_tokens}. */
    static JsonObject openAiUsage(Object usage) {
        JsonObject u = usage instanceof JsonObject o ? o : new JsonObject();
        long in = AnthropicNative.num(u.getValue("input_tokens"));
        long read = AnthropicNative.num(u.getValue("cache_read_input_tokens"));
        long write = AnthropicNative.num(u.getValue("cache_creation_input_tokens"));
        long out = AnthropicNative.num(u.getValue("output_tokens"));
        return usage(in, read, write, out);
    }

    private static JsonObject usage(long in, long read, long write, long out) {
        long prompt = in + read + write;
        return new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", out)
                .put("total_tokens", prompt + out)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", read));
    }

    /** Anthropic's {@code {"type":"error","error":{"type","message"}}} as OpenAI's error object. */
    static JsonObject openAiError(JsonObject res, int status) {
        String type = status >= 500 ? "api_error" : "invalid_request_error";
        String message = "";
        if (res != null && res.getValue("error") instanceof JsonObject e) {
            type = e.getValue("type") instanceof String t ? t : type;
            message = e.getValue("message") instanceof String m ? m : "";
        }
        return ChatToBlocks.error(message, type);
    }

    @Override
    public Buffer error(int status, Buffer body) {
        JsonObject res = parse(body);
        if (res == null) {
            return ChatToBlocks.error(body == null ? "" : body.toString(StandardCharsets.UTF_8),
                    status >= 500 ? "api_error" : "invalid_request_error").toBuffer();
        }
        return openAiError(res, status).toBuffer();
    }

    // ------------------------------------------------------------------ stream

    @Override
    protected void onEvent(SseEvent ev, Observation obs, Buffer out) {
        String type = ev.event();
        if ("ping".equals(type) || finished) {
            return; // OpenAI streams have no keep-alive event
        }
        JsonObject e = json(ev);
        if (e == null) {
            return;
        }
        if ("message".equals(type) && e.getValue("type") instanceof String t) {
            type = t; // data-only events: the type is in the payload too
        }
        switch (type) {
            case "message_start" -> {
                started = true;
                JsonObject m = e.getValue("message") instanceof JsonObject mm ? mm : new JsonObject();
                if (m.getValue("id") instanceof String s) {
                    chunks.id = s;
                }
                if (m.getValue("model") instanceof String s) {
                    obs.model(s);
                    if (chunks.model == null) {
                        chunks.model = s;
                    }
                }
                if (m.getValue("usage") instanceof JsonObject u) {
                    input = AnthropicNative.num(u.getValue("input_tokens"));
                    cacheRead = AnthropicNative.num(u.getValue("cache_read_input_tokens"));
                    cacheCreation = AnthropicNative.num(u.getValue("cache_creation_input_tokens"));
                    output = AnthropicNative.num(u.getValue("output_tokens"));
                    sawUsage = true;
                }
                chunk(out, new JsonObject().put("role", "assistant").put("content", ""), null);
            }
            case "content_block_start" -> {
                if (e.getValue("content_block") instanceof JsonObject b && "tool_use".equals(b.getValue("type"))
                        && e.getValue("index") instanceof Number n) {
                    chunks.toolStart(out, n.intValue(), b.getValue("id"), b.getValue("name"));
                }
            }
            case "content_block_delta" -> {
                JsonObject d = e.getValue("delta") instanceof JsonObject dd ? dd : new JsonObject();
                switch (String.valueOf(d.getValue("type"))) {
                    case "text_delta" -> {
                        String t = d.getValue("text") instanceof String s ? s : "";
                        obs.text(t);
                        chunk(out, new JsonObject().put("content", t), null);
                    }
                    case "thinking_delta" -> chunk(out, new JsonObject()
                            .put("reasoning_content", d.getValue("thinking") instanceof String s ? s : ""), null);
                    case "input_json_delta" -> chunks.toolArguments(out, e.getValue("index"),
                            d.getValue("partial_json") instanceof String s ? s : "");
                    default -> { }
                }
            }
            case "message_delta" -> {
                if (e.getValue("usage") instanceof JsonObject u) {
                    if (u.getValue("input_tokens") instanceof Number n && n.longValue() > 0) {
                        input = n.longValue();
                    }
                    output = AnthropicNative.num(u.getValue("output_tokens"));
                    sawUsage = true;
                }
                Object sr = e.getValue("delta") instanceof JsonObject d ? d.getValue("stop_reason") : null;
                chunk(out, new JsonObject(), ChatToBlocks.finishReason(FINISH, sr));
            }
            case "message_stop" -> finish(obs, out);
            case "error" -> {
                chunks.error(out, openAiError(e, 500));
                finished = true;
            }
            default -> { }
        }
        if (sawUsage) {
            obs.usage(TokenUsage.fromOpenAi(usage(input, cacheRead, cacheCreation, output)));
        }
    }

    private void finish(Observation obs, Buffer out) {
        if (finished) {
            return;
        }
        finished = true;
        chunks.end(out, usage(input, cacheRead, cacheCreation, output));
    }

    private void chunk(Buffer out, JsonObject delta, String finishReason) {
        chunks.chunk(out, delta, finishReason);
    }

    @Override
    protected void onEnd(Observation obs, Buffer out) {
        if (started && !finished) {
            finish(obs, out); // a stream that stopped early still ends as OpenAI clients expect
        }
    }

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }
}
