package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Reading OpenAI chat-completion bodies and stream chunks. */
public final class OpenAiChat {

    private OpenAiChat() {
    }

    /** The assistant text of a non-streamed answer (choices' message contents joined by a space), or null. */
    public static String responseText(JsonObject body) {
        if (body == null || !(body.getValue("choices") instanceof JsonArray choices) || choices.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object c : choices) {
            if (c instanceof JsonObject choice && choice.getValue("message") instanceof JsonObject m
                    && m.getValue("content") instanceof String s) {
                if (!first) {
                    sb.append(' ');
                }
                sb.append(s);
                first = false;
            }
        }
        return sb.toString();
    }

    /** Appends the delta texts of one stream chunk to {@code out}. */
    public static void appendDeltaText(JsonObject chunk, StringBuilder out) {
        if (!(chunk.getValue("choices") instanceof JsonArray choices)) {
            return;
        }
        for (Object c : choices) {
            if (c instanceof JsonObject choice && choice.getValue("delta") instanceof JsonObject d
                    && d.getValue("content") instanceof String s) {
                out.append(s);
            }
        }
    }

    /**
     * True for the extra chunk a provider sends because {@code stream_options.include_usage} was set:
     * usage present and {@code choices} empty.
     */
    public static boolean isUsageOnlyChunk(JsonObject chunk) {
        return chunk.getValue("usage") instanceof JsonObject
                && (!(chunk.getValue("choices") instanceof JsonArray a) || a.isEmpty());
    }
}
