package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonObject;

/**
 * Token counts of one LLM call, in OpenAI's terms.
 *
 * @param promptTokens     {@code usage.prompt_tokens}
 * @param completionTokens {@code usage.completion_tokens} (0 for embeddings)
 * @param totalTokens      {@code usage.total_tokens}, or the sum when the provider left it out
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {

    /** Reads an OpenAI {@code usage} object; null when it is not an object. */
    public static TokenUsage fromOpenAi(Object usage) {
        if (!(usage instanceof JsonObject u)) {
            return null;
        }
        long prompt = num(u.getValue("prompt_tokens"));
        long completion = num(u.getValue("completion_tokens"));
        Object total = u.getValue("total_tokens");
        return new TokenUsage(prompt, completion, total instanceof Number n ? n.longValue() : prompt + completion);
    }

    private static long num(Object v) {
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
