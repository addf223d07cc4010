package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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

    private String model;
    private boolean includeUsage;
    private final EventStreamDecoder decoder = new EventStreamDecoder();
    private final String id = "chatcmpl-" + Long.toHexString(System.nanoTime());
    private final long created = System.currentTimeMillis() / 1000;
    private final Map<Integer, Integer> toolIndex = new HashMap<>();
    private boolean started;
    private boolean finished;
    private JsonObject usage;

    public OpenAiChatToBedrock() {
        super(AiProtocol.CHAT, AiProtocol.BEDROCK_CONVERSE);
    }

    // ------------------------------------------------------------------ request

    @Override
    public JsonObject request(JsonObject in, boolean clientAskedUsage) throws TranslationException {
        includeUsage = clientAskedUsage;
        model = in.getValue("model") instanceof String m ? m : null;
        if (!(in.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw new TranslationException(400, "missing messages");
        }
        JsonArray system = new JsonArray();
        JsonArray msgs = new JsonArray();
        JsonArray pendingResults = null;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject msg) || !(msg.getValue("role") instanceof String role)) {
                throw new TranslationException(400, "invalid message at index " + (i + 1));
            }
            if ("tool".equals(role)) {
                if (pendingResults == null) {
                    pendingResults = new JsonArray();
                    msgs.add(new JsonObject().put("role", "user").put("content", pendingResults));
                }
                pendingResults.add(new JsonObject().put("toolResult", new JsonObject()
                        .put("toolUseId", msg.getValue("tool_call_id") instanceof String s ? s : "")
                        .put("content", new JsonArray().add(new JsonObject().put("text", text(msg.getValue("content")))))));
                continue;
            }
            pendingResults = null;
            if ("system".equals(role) || "developer".equals(role)) {
                String t = text(msg.getValue("content"));
                if (!t.isEmpty()) {
                    system.add(new JsonObject().put("text", t));
                }
                continue;
            }
            JsonArray blocks = new JsonArray();
            Object content = msg.getValue("content");
            if (content instanceof String s && !s.isEmpty()) {
                blocks.add(new JsonObject().put("text", s));
            } else if (content instanceof JsonArray parts) {
                for (Object po : parts) {
                    if (po instanceof JsonObject p) {
                        JsonObject b = block(p);
                        if (b != null) {
                            blocks.add(b);
                        }
                    }
                }
            }
            if ("assistant".equals(role) && msg.getValue("tool_calls") instanceof JsonArray calls) {
                for (Object co : calls) {
                    if (co instanceof JsonObject tc && tc.getValue("function") instanceof JsonObject fn) {
                        JsonObject input;
                        try {
                            input = fn.getValue("arguments") instanceof String a && !a.isBlank() ? new JsonObject(a) : new JsonObject();
                        } catch (RuntimeException e) {
                            throw new TranslationException(400, "invalid tool call arguments at message index " + (i + 1));
                        }
                        blocks.add(new JsonObject().put("toolUse", new JsonObject()
                                .put("toolUseId", tc.getValue("id")).put("name", fn.getValue("name")).put("input", input)));
                    }
                }
            }
            if (!blocks.isEmpty()) {
                msgs.add(new JsonObject().put("role", "assistant".equals(role) ? "assistant" : "user").put("content", blocks));
            }
        }
        JsonObject out = new JsonObject().put("messages", msgs);
        if (!system.isEmpty()) {
            out.put("system", system);
        }
        JsonObject inference = new JsonObject();
        Object max = in.getValue("max_completion_tokens") != null ? in.getValue("max_completion_tokens") : in.getValue("max_tokens");
        if (max instanceof Number n) {
            inference.put("maxTokens", n.longValue());
        }
        if (in.getValue("temperature") instanceof Number n) {
            inference.put("temperature", n);
        }
        if (in.getValue("top_p") instanceof Number n) {
            inference.put("topP", n);
        }
        Object stop = in.getValue("stop");
        if (stop instanceof String s) {
            inference.put("stopSequences", new JsonArray().add(s));
        } else if (stop instanceof JsonArray a) {
            inference.put("stopSequences", a.copy());
        }
        if (!inference.isEmpty()) {
            out.put("inferenceConfig", inference);
        }
        if (in.getValue("tools") instanceof JsonArray tools && !tools.isEmpty() && !"none".equals(in.getValue("tool_choice"))) {
            JsonArray specs = new JsonArray();
            for (Object o : tools) {
                if (o instanceof JsonObject t && t.getValue("function") instanceof JsonObject fn && fn.getValue("name") instanceof String name) {
                    JsonObject spec = new JsonObject().put("name", name);
                    if (fn.getValue("description") instanceof String d) {
                        spec.put("description", d);
                    }
                    spec.put("inputSchema", new JsonObject().put("json", fn.getValue("parameters") instanceof JsonObject p ? p
                            : new JsonObject().put("type", "object")));
                    specs.add(new JsonObject().put("toolSpec", spec));
                }
            }
            JsonObject toolConfig = new JsonObject().put("tools", specs);
            Object tc = in.getValue("tool_choice");
            if ("required".equals(tc)) {
                toolConfig.put("toolChoice", new JsonObject().put("any", new JsonObject()));
            } else if ("auto".equals(tc)) {
                toolConfig.put("toolChoice", new JsonObject().put("auto", new JsonObject()));
            } else if (tc instanceof JsonObject o && o.getValue("function") instanceof JsonObject f && f.getValue("name") instanceof String n) {
                toolConfig.put("toolChoice", new JsonObject().put("tool", new JsonObject().put("name", n)));
            }
            if (!specs.isEmpty()) {
                out.put("toolConfig", toolConfig);
            }
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

    private static String text(Object content) {
        if (content instanceof String s) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        if (content instanceof JsonArray parts) {
            for (Object o : parts) {
                if (o instanceof JsonObject p && p.getValue("text") instanceof String t) {
                    sb.append(t);
                }
            }
        }
        return sb.toString();
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
                    calls.add(new JsonObject().put("id", tu.getValue("toolUseId")).put("type", "function")
                            .put("function", new JsonObject().put("name", tu.getValue("name"))
                                    .put("arguments", tu.getValue("input") instanceof JsonObject i ? i.encode() : "{}")));
                }
            }
        }
        obs.text(text.toString());
        JsonObject message = new JsonObject().put("role", "assistant");
        if (text.isEmpty() && !calls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text.toString());
        }
        if (!calls.isEmpty()) {
            message.put("tool_calls", calls);
        }
        message.putNull("refusal");
        Object sr = res.getValue("stopReason");
        return new JsonObject().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model)
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("message", message)
                        .putNull("logprobs").put("finish_reason", sr instanceof String s ? FINISH.getOrDefault(s, "stop") : "stop")))
                .put("usage", u).toBuffer();
    }

    @Override
    public Buffer error(int status, Buffer body) {
        JsonObject res = parse(body);
        String message = res != null && res.getValue("message") instanceof String m ? m
                : res != null && res.getValue("Message") instanceof String m2 ? m2
                : body == null ? "" : body.toString(StandardCharsets.UTF_8);
        return new JsonObject().put("error", new JsonObject().put("message", message)
                .put("type", status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error")
                .putNull("param").putNull("code")).toBuffer();
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
                        && e.getValue("contentBlockIndex") instanceof Number n && toolIndex.size() < MAX_TOOL_CALLS) {
                    int ti = toolIndex.size();
                    toolIndex.put(n.intValue(), ti);
                    chunk(out, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", ti)
                            .put("id", tu.getValue("toolUseId")).put("type", "function")
                            .put("function", new JsonObject().put("name", tu.getValue("name")).put("arguments", "")))), null);
                }
            }
            case "contentBlockDelta" -> {
                JsonObject d = e.getValue("delta") instanceof JsonObject dd ? dd : new JsonObject();
                if (d.getValue("text") instanceof String t) {
                    obs.text(t);
                    chunk(out, new JsonObject().put("content", t), null);
                } else if (d.getValue("toolUse") instanceof JsonObject tu && e.getValue("contentBlockIndex") instanceof Number n
                        && toolIndex.containsKey(n.intValue())) {
                    chunk(out, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
                            .put("index", toolIndex.get(n.intValue())).put("function", new JsonObject()
                                    .put("arguments", tu.getValue("input") instanceof String s ? s : "")))), null);
                } else if (d.getValue("reasoningContent") instanceof JsonObject rc && rc.getValue("text") instanceof String r) {
                    chunk(out, new JsonObject().put("reasoning_content", r), null);
                }
            }
            case "messageStop" -> chunk(out, new JsonObject(),
                    e.getValue("stopReason") instanceof String s ? FINISH.getOrDefault(s, "stop") : "stop");
            case "metadata" -> {
                usage = openAiUsage(e.getValue("usage"));
                obs.usage(TokenUsage.fromOpenAi(usage));
            }
            default -> { }
        }
    }

    private void error(Buffer out, String type, String message) {
        SseTranslator.emit(out, null, new JsonObject().put("error", new JsonObject().put("message", message)
                .put("type", type).putNull("param").putNull("code")));
        out.appendString("data: [DONE]\n\n");
        finished = true;
    }

    private void chunk(Buffer out, JsonObject delta, String finishReason) {
        JsonObject choice = new JsonObject().put("index", 0).put("delta", delta).putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        JsonObject c = new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("choices", new JsonArray().add(choice));
        if (includeUsage) {
            c.putNull("usage");
        }
        SseTranslator.emit(out, null, c);
    }

    @Override
    public Buffer streamEnd(Observation obs) {
        Buffer out = Buffer.buffer();
        if (!finished && started) {
            if (includeUsage && usage != null) {
                SseTranslator.emit(out, null, new JsonObject().put("id", id).put("object", "chat.completion.chunk")
                        .put("created", created).put("model", model).put("choices", new JsonArray()).put("usage", usage));
            }
            out.appendString("data: [DONE]\n\n");
            finished = true;
        }
        return out;
    }
}
