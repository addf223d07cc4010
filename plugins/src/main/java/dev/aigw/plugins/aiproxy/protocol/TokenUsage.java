package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonObject;

/**
 * Token counts of one LLM call, in OpenAI's terms.
 *
 * @param promptTokens     {@code usage.prompt_tokens}
 * @param completionTokens {@code usage.completion_tokens} (0 for embeddings)
 * @param totalTokens      {@code usage.total_tokens}, or the sum when the provider left it out
 * @param cachedTokens     prompt tokens read from the provider's prompt cache (OpenAI's
 *                         {@code prompt_tokens_details.cached_tokens}, DeepSeek's
 *                         {@code prompt_cache_hit_tokens}, Anthropic's {@code cache_read_input_tokens});
 *                         billed cheaper, so the cost needs them apart
 * @param cacheCreationTokens prompt tokens written to the prompt cache (Anthropic's
 *                         {@code cache_creation_input_tokens})
 * @param reasoningTokens  completion tokens spent reasoning ({@code completion_tokens_details} /
 *                         {@code output_tokens_details.reasoning_tokens})
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens, long cachedTokens,
                         long cacheCreationTokens, long reasoningTokens) {

    /** Usage without cache reads. */
    public TokenUsage(long promptTokens, long completionTokens, long totalTokens) {
        this(promptTokens, completionTokens, totalTokens, 0);
    }

    /** Usage with cache reads only. */
    public TokenUsage(long promptTokens, long completionTokens, long totalTokens, long cachedTokens) {
        this(promptTokens, completionTokens, totalTokens, cachedTokens, 0, 0);
    }

    /** Reads an OpenAI chat or embeddings {@code usage} object; null when it is not an object. */
    public static TokenUsage fromOpenAi(Object usage) {
        if (!(usage instanceof JsonObject u)) {
            return null;
        }
        long prompt = num(u.getValue("prompt_tokens"));
        long completion = num(u.getValue("completion_tokens"));
        Object total = u.getValue("total_tokens");
        JsonObject pd = u.getValue("prompt_tokens_details") instanceof JsonObject d ? d : null;
        JsonObject cd = u.getValue("completion_tokens_details") instanceof JsonObject d ? d : null;
        // as APISIX: OpenAI's cached_tokens, else DeepSeek's prompt_cache_hit_tokens
        long cached = pd != null && pd.getValue("cached_tokens") instanceof Number n ? n.longValue()
                : num(u.getValue("prompt_cache_hit_tokens"));
        return new TokenUsage(prompt, completion, total instanceof Number n ? n.longValue() : prompt + completion,
                cached, pd == null ? 0 : num(pd.getValue("cache_creation_input_tokens")),
                cd == null ? 0 : num(cd.getValue("reasoning_tokens")));
    }

    /**
     * Reads an Anthropic {@code usage} object ({@code input_tokens}, {@code output_tokens}), as
     * APISIX does: prompt = input tokens (the cache reads and writes Anthropic counts apart are not
     * added), total = input + output. Null when it is not an object.
     */
    public static TokenUsage fromAnthropic(Object usage) {
        if (!(usage instanceof JsonObject u)) {
            return null;
        }
        long in = num(u.getValue("input_tokens"));
        long out = num(u.getValue("output_tokens"));
        return new TokenUsage(in, out, in + out, num(u.getValue("cache_read_input_tokens")),
                num(u.getValue("cache_creation_input_tokens")), 0);
    }

    /** Reads an OpenAI Responses {@code usage} object ({@code input_tokens}, {@code output_tokens}, {@code total_tokens}). */
    public static TokenUsage fromResponses(Object usage) {
        if (!(usage instanceof JsonObject u)) {
            return null;
        }
        long in = num(u.getValue("input_tokens"));
        long out = num(u.getValue("output_tokens"));
        Object total = u.getValue("total_tokens");
        return new TokenUsage(in, out, total instanceof Number n ? n.longValue() : in + out,
                u.getValue("input_tokens_details") instanceof JsonObject d ? num(d.getValue("cached_tokens")) : 0, 0,
                u.getValue("output_tokens_details") instanceof JsonObject d ? num(d.getValue("reasoning_tokens")) : 0);
    }

    private static long num(Object v) {
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
