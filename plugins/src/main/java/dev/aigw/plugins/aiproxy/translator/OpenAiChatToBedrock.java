package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * OpenAI chat client to Bedrock's Converse API (beyond APISIX, which takes only Converse clients to
 * Bedrock). Request: system and developer messages → {@code system}; user and assistant text,
 * images (data URIs) and {@code tool_calls} → content blocks ({@code text}, {@code image},
 * {@code toolUse}); {@code role: tool} messages → one user message of {@code toolResult} blocks;
 * {@code max_tokens}, {@code temperature}, {@code top_p}, {@code stop} → {@code inferenceConfig};
 * functions → {@code toolConfig}. Answer: a {@code chat.completion}; a ConverseStream's
 * event-stream frames → {@code chat.completion.chunk} SSE events ending with {@code [DONE]} (the
 * usage chunk only when the client asked for it); Bedrock errors → OpenAI error objects.
 */
public final class OpenAiChatToBedrock extends Translator {

    private static final Map<String, String> FINISH = Map.of(
            "end_turn", "stop", "stop_sequence", "stop", "max_tokens", "length", "tool_use", "tool_calls",
            "content_filtered", "content_filter", "guardrail_intervened", "content_filter");

    private final EventStreamDecoder decoder = new EventStreamDecoder();
    private final ChatToBlocks.Chunks chunks = new ChatToBlocks.Chunks("chatcmpl-" + Long.toHexString(System.nanoTime()));
    private boolean started;
    private boolean finished;
    private JsonObject usage;

    /** Converse's blocks: untyped {@code text}, {@code image} (bytes only), {@code toolUse}, {@code toolResult}. */
    private static final ChatToBlocks.Blocks BLOCKS = new ChatToBlocks.Blocks() {
        @Override
        public JsonObject text(String text) {
            return new JsonObject().put("text", text);
        }

        @Override
        public JsonObject part(JsonObject part) {
            return block(part);
        }

        @Override
        public JsonObject toolUse(Object id, Object name, JsonObject input) {
            return new JsonObject().put("toolUse", new JsonObject().put("toolUseId", id).put("name", name).put("input", input));
        }

        @Override
        public JsonObject toolResult(String toolCallId, Object content) {
            return new JsonObject().put("toolResult", new JsonObject().put("toolUseId", toolCallId)
                    .put("content", new JsonArray().add(new JsonObject().put("text", ChatToBlocks.text(content)))));
        }
    };

    public OpenAiChatToBedrock() {
        super(AiProtocol.CHAT, AiProtocol.BEDROCK_CONVERSE);
    }

    // ------------------------------------------------------------------ request

    @Override
    public JsonObject request(JsonObject in, boolean clientAskedUsage) throws TranslationException {
        chunks.includeUsage = clientAskedUsage;
        chunks.model = in.getValue("model") instanceof String m ? m : null;
        ChatToBlocks.Conversation conversation = ChatToBlocks.conversation(in.getValue("messages"), BLOCKS);
        JsonObject out = new JsonObject().put("messages", conversation.messages());
        if (!conversation.system().isEmpty()) {
            JsonArray system = new JsonArray();
            conversation.system().forEach(t -> system.add(new JsonObject().put("text", t)));
            out.put("system", system);
        }
        JsonObject inference = new JsonObject();
        Long max = ChatToBlocks.maxTokens(in);
        if (max != null) {
            inference.put("maxTokens", max);
        }
        if (in.getValue("temperature") instanceof Number n) {
            inference.put("temperature", n);
        }
        if (in.getValue("top_p") instanceof Number n) {
            inference.put("topP", n);
        }
        JsonArray stop = ChatToBlocks.stopSequences(in.getValue("stop"));
        if (stop != null) {
            inference.put("stopSequences", stop);
        }
        if (!inference.isEmpty()) {
            out.put("inferenceConfig", inference);
        }
        List<ChatToBlocks.Function> functions = ChatToBlocks.functions(in.getValue("tools"));
        JsonObject choice = ChatToBlocks.toolChoice(in.getValue("tool_choice"));
        boolean none = choice != null && "none".equals(choice.getValue("type"));
        if (!functions.isEmpty() && !none) {
            JsonArray specs = new JsonArray();
            for (ChatToBlocks.Function fn : functions) {
                JsonObject spec = new JsonObject().put("name", fn.name());
                if (fn.description() != null) {
                    spec.put("description", fn.description());
                }
                spec.put("inputSchema", new JsonObject().put("json", fn.parameters()));
                specs.add(new JsonObject().put("toolSpec", spec));
            }
            JsonObject toolConfig = new JsonObject().put("tools", specs);
            if (choice != null) {
                // Converse spells the choice as a key: {"any": {}}, {"auto": {}}, {"tool": {"name": …}}
                String type = choice.getString("type");
                toolConfig.put("toolChoice", new JsonObject().put(type, "tool".equals(type)
                        ? new JsonObject().put("name", choice.getValue("name")) : new JsonObject()));
            }
            out.put("toolConfig", toolConfig);
        }
        return out;
    }

    private static JsonObject block(JsonObject p) {
        if ("text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
            return new JsonObject().put("text", t);
        }
        if ("image_url".equals(p.getValue("type")) && p.getValue("image_url") instanceof JsonObject iu
                && iu.getValue("url") instanceof String url && url.startsWith("data:image/")) {
            int semi = url.indexOf(';');
            int comma = url.indexOf(',');
            if (semi > 0 && comma > semi) {
                String format = url.substring("data:image/".length(), semi).toLowerCase(Locale.ROOT).replace("jpg", "jpeg");
                return new JsonObject().put("image", new JsonObject().put("format", format)
                        .put("source", new JsonObject().put("bytes", url.substring(comma + 1))));
            }
        }
        return null; // Converse takes images as bytes only: remote URLs are not fetched by the gateway
    }

    // ------------------------------------------------------------------ answer

    private static JsonObject openAiUsage(Object u) {
        JsonObject in = u instanceof JsonObject o ? o : new JsonObject();
        long prompt = AnthropicNative.num(in.getValue("inputTokens"));
        long completion = AnthropicNative.num(in.getValue("outputTokens"));
        long total = in.getValue("totalTokens") instanceof Number n ? n.longValue() : prompt + completion;
        return new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", total)
                .put("prompt_tokens_details", new JsonObject()
                        .put("cached_tokens", AnthropicNative.num(in.getValue("cacheReadInputTokens"))));
    }

    @Override
    public Buffer response(Buffer body, Observation obs) throws TranslationException {
        JsonObject res = parse(body);
        if (res == null || !(res.getValue("output") instanceof JsonObject output)) {
            throw new TranslationException(502, "invalid response from the LLM server");
        }
        JsonObject u = openAiUsage(res.getValue("usage"));
        obs.usage(TokenUsage.fromOpenAi(u));
        StringBuilder text = new StringBuilder();
        JsonArray calls = new JsonArray();
        JsonObject msg = output.getValue("message") instanceof JsonObject m ? m : new JsonObject();
        if (msg.getValue("content") instanceof JsonArray content) {
            for (Object o : content) {
                if (!(o instanceof JsonObject b)) {
                    continue;
                }
                if (b.getValue("text") instanceof String t) {
                    text.append(t);
                } else if (b.getValue("toolUse") instanceof JsonObject tu) {
                    calls.add(ChatToBlocks.toolCall(tu.getValue("toolUseId"), tu.getValue("name"), tu.getValue("input")));
                }
            }
        }
        obs.text(text.toString());
        return ChatToBlocks.completion(chunks.id, chunks.created, chunks.model,
                ChatToBlocks.assistantMessage(text, null, calls),
                ChatToBlocks.finishReason(FINISH, res.getValue("stopReason")), u).toBuffer();
    }

    @Override
    public Buffer error(int status, Buffer body) {
        JsonObject res = parse(body);
        String message = res != null && res.getValue("message") instanceof String m ? m
                : res != null && res.getValue("Message") instanceof String m2 ? m2
                : body == null ? "" : body.toString(StandardCharsets.UTF_8);
        return ChatToBlocks.error(message,
                status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error").toBuffer();
    }

    // ------------------------------------------------------------------ stream

    @Override
    public boolean isStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/vnd.amazon.eventstream");
    }

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }

    @Override
    public Buffer streamChunk(Buffer chunk, Observation obs) {
        Buffer out = Buffer.buffer();
        if (finished) {
            return out;
        }
        java.util.List<EventStreamDecoder.Frame> frames;
        try {
            frames = decoder.feed(chunk);
        } catch (IllegalStateException e) {
            error(out, "server_error", "broken event stream from the LLM server: " + e.getMessage());
            return out;
        }
        for (EventStreamDecoder.Frame f : frames) {
            if (!"event".equals(f.messageType())) {
                error(out, f.exceptionType() != null ? f.exceptionType() : "server_error", errorMessage(f.payload()));
                return out;
            }
            JsonObject e = parse(f.payload());
            if (e == null || f.eventType() == null) {
                continue;
            }
            event(f.eventType(), e, obs, out);
        }
        return out;
    }

    private static String errorMessage(Buffer payload) {
        JsonObject e = parse(payload);
        return e != null && e.getValue("message") instanceof String m ? m : EventStreamDecoder.text(payload);
    }

    private void event(String type, JsonObject e, Observation obs, Buffer out) {
        switch (type) {
            case "messageStart" -> {
                started = true;
                chunk(out, new JsonObject().put("role", "assistant").put("content", ""), null);
            }
            case "contentBlockStart" -> {
                if (e.getValue("start") instanceof JsonObject s && s.getValue("toolUse") instanceof JsonObject tu
                        && e.getValue("contentBlockIndex") instanceof Number n) {
                    chunks.toolStart(out, n.intValue(), tu.getValue("toolUseId"), tu.getValue("name"));
                }
            }
            case "contentBlockDelta" -> {
                JsonObject d = e.getValue("delta") instanceof JsonObject dd ? dd : new JsonObject();
                if (d.getValue("text") instanceof String t) {
                    obs.text(t);
                    chunk(out, new JsonObject().put("content", t), null);
                } else if (d.getValue("toolUse") instanceof JsonObject tu) {
                    chunks.toolArguments(out, e.getValue("contentBlockIndex"), tu.getValue("input") instanceof String s ? s : "");
                } else if (d.getValue("reasoningContent") instanceof JsonObject rc && rc.getValue("text") instanceof String r) {
                    chunk(out, new JsonObject().put("reasoning_content", r), null);
                }
            }
            case "messageStop" -> chunk(out, new JsonObject(), ChatToBlocks.finishReason(FINISH, e.getValue("stopReason")));
            case "metadata" -> {
                usage = openAiUsage(e.getValue("usage"));
                obs.usage(TokenUsage.fromOpenAi(usage));
            }
            default -> { }
        }
    }

    private void error(Buffer out, String type, String message) {
        chunks.error(out, ChatToBlocks.error(message, type));
        finished = true;
    }

    private void chunk(Buffer out, JsonObject delta, String finishReason) {
        chunks.chunk(out, delta, finishReason);
    }

    @Override
    public Buffer streamEnd(Observation obs) {
        Buffer out = Buffer.buffer();
        if (!finished && started) {
            chunks.end(out, usage);
            finished = true;
        }
        return out;
    }
}
