package dev.aigw.plugins.aicache;

import io.vertx.core.json.JsonObject;

/**
 * One cached answer: the bytes the client got (after the gateway's protocol translation), its
 * format, when it was stored and what it cost the first time. The JSON form is APISIX's L1
 * envelope ({@code body}, {@code created_at}, {@code format}) plus {@code model} and {@code usage}.
 *
 * @param body             the response body as sent to the client (UTF-8 text: JSON or SSE frames)
 * @param format           {@link #JSON} or {@link #SSE}
 * @param createdAt        seconds since the epoch
 * @param model            the model that answered ({@code llm_model}), or null
 * @param promptTokens     usage of the original call, -1 when unknown
 * @param completionTokens usage of the original call, -1 when unknown
 * @param ttlSeconds       how long the entry lives from {@code createdAt}
 */
record CacheEntry(String body, String format, long createdAt, String model, long promptTokens,
                  long completionTokens, long ttlSeconds) {

    static final String JSON = "json";
    static final String SSE = "sse";

    /** Bytes an entry costs in the in-process cache (the body dominates; a small fixed part for the rest). */
    int weight(String key) {
        long w = 2L * body.length() + 2L * key.length() + 128;
        return (int) Math.min(Integer.MAX_VALUE, w);
    }

    String contentType() {
        return SSE.equals(format) ? "text/event-stream" : "application/json";
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject().put("body", body).put("created_at", createdAt).put("format", format)
                .put("ttl", ttlSeconds);
        if (model != null) {
            o.put("model", model);
        }
        if (promptTokens >= 0 || completionTokens >= 0) {
            o.put("usage", new JsonObject().put("prompt_tokens", Math.max(0, promptTokens))
                    .put("completion_tokens", Math.max(0, completionTokens))
                    .put("total_tokens", Math.max(0, promptTokens) + Math.max(0, completionTokens)));
        }
        return o;
    }

    /** The entry of a stored envelope, or null when it is malformed. */
    static CacheEntry fromJson(String text) {
        try {
            JsonObject o = new JsonObject(text);
            String body = o.getString("body");
            if (body == null) {
                return null;
            }
            JsonObject u = o.getJsonObject("usage");
            return new CacheEntry(body, SSE.equals(o.getString("format")) ? SSE : JSON,
                    o.getLong("created_at", 0L), o.getString("model"),
                    u == null ? -1 : u.getLong("prompt_tokens", -1L), u == null ? -1 : u.getLong("completion_tokens", -1L),
                    o.getLong("ttl", 0L));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
