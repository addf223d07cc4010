package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Anthropic Messages to Anthropic: the body and the client's {@code anthropic-version} /
 * {@code anthropic-beta} headers as they are (the version defaulted when absent), every event
 * relayed as it came. Usage as APISIX reads it: the input from {@code message_start}'s
 * {@code message.usage}, the output from {@code message_delta}'s {@code usage}, merged and the
 * total recomputed (apache/apisix#13662).
 */
public final class AnthropicNative extends SseTranslator {

    private long input;
    private long output;
    private long cached;
    private long cacheCreation;
    private boolean sawUsage;

    public AnthropicNative() {
        super(AiProtocol.ANTHROPIC_MESSAGES, AiProtocol.ANTHROPIC_MESSAGES);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) {
        return shallow(body);
    }

    @Override
    public void headers(MultiMap headers) {
        anthropicHeaders(headers);
    }

    /**
     * What the Messages API needs: an {@code anthropic-version} (2023-06-01 unless the client sent
     * one) and the key in {@code x-api-key}: a configured {@code Authorization: Bearer <key>} is
     * moved there, except an OAuth token ({@code sk-ant-oat…}), which Anthropic takes as a bearer.
     */
    static void anthropicHeaders(MultiMap headers) {
        if (headers.get("anthropic-version") == null) {
            headers.set("anthropic-version", dev.aigw.plugins.aiproxy.provider.Anthropic.DEFAULT_VERSION);
        }
        String auth = headers.get("Authorization");
        if (headers.get("x-api-key") == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String key = auth.substring(7).trim();
            if (!key.startsWith("sk-ant-oat")) {
                headers.remove("Authorization");
                headers.set("x-api-key", key);
            }
        }
    }

    @Override
    public Buffer response(Buffer body, Observation obs) {
        JsonObject json = parse(body);
        if (json != null) {
            TokenUsage u = TokenUsage.fromAnthropic(json.getValue("usage"));
            obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
            obs.model(json.getValue("model") instanceof String m ? m : null);
            if (obs.collectingText()) {
                obs.text(text(json));
            }
        }
        return null;
    }

    /** The text blocks of a message, joined by a space (as APISIX's extract_response_text). */
    static String text(JsonObject message) {
        if (!(message.getValue("content") instanceof JsonArray content)) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (Object o : content) {
            if (o instanceof JsonObject b && "text".equals(b.getValue("type")) && b.getValue("text") instanceof String t) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(t);
            }
        }
        return sb.toString();
    }

    @Override
    protected void onEvent(SseEvent ev, Observation obs, Buffer out) {
        out.appendBuffer(ev.raw());
        String type = ev.event();
        boolean wanted = "message_start".equals(type) || "message_delta".equals(type)
                || (obs.collectingText() && "content_block_delta".equals(type));
        if (!wanted) {
            return;
        }
        JsonObject e = json(ev);
        if (e == null) {
            return;
        }
        switch (type) {
            case "message_start" -> {
                if (e.getValue("message") instanceof JsonObject m) {
                    obs.model(m.getValue("model") instanceof String s ? s : null);
                    if (m.getValue("usage") instanceof JsonObject u) {
                        input = num(u.getValue("input_tokens"));
                        cached = num(u.getValue("cache_read_input_tokens"));
                        cacheCreation = num(u.getValue("cache_creation_input_tokens"));
                        output = num(u.getValue("output_tokens"));
                        sawUsage = true;
                    }
                }
            }
            case "message_delta" -> {
                if (e.getValue("usage") instanceof JsonObject u) {
                    // message_delta's counts are cumulative; input_tokens appears there only on newer models
                    if (u.getValue("input_tokens") instanceof Number n && n.longValue() > 0) {
                        input = n.longValue();
                    }
                    output = num(u.getValue("output_tokens"));
                    sawUsage = true;
                }
            }
            default -> {
                if (e.getValue("delta") instanceof JsonObject d && "text_delta".equals(d.getValue("type"))
                        && d.getValue("text") instanceof String t) {
                    obs.text(t);
                }
            }
        }
        if (sawUsage) {
            obs.usage(new TokenUsage(input, output, input + output, cached, cacheCreation, 0));
        }
    }

    @Override
    protected void onRemainder(Buffer rest, Buffer out) {
        out.appendBuffer(rest);
    }

    static long num(Object v) {
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
