package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI embeddings ⇄ Vertex AI predict ({@code publishers/google/models/{model}:predict}), as
 * APISIX's {@code openai-embeddings-to-vertex-predict} converter does it.
 */
public final class VertexPredict {

    /** A body that cannot be converted; the message is for the client (400). */
    public static final class ConversionException extends Exception {
        public ConversionException(String message) {
            super(message);
        }
    }

    private VertexPredict() {
    }

    /** {@code {"input": "a" | ["a", ...]}} → {@code {"instances": [{"content": "a"}, ...]}}. */
    public static JsonObject toPredictRequest(JsonObject body) throws ConversionException {
        Object input = body.getValue("input");
        JsonArray instances = new JsonArray();
        if (input instanceof String s) {
            instances.add(new JsonObject().put("content", s));
        } else if (input instanceof JsonArray arr) {
            for (int i = 0; i < arr.size(); i++) {
                Object v = arr.getValue(i);
                if (v instanceof String s) {
                    instances.add(new JsonObject().put("content", s));
                } else if (v instanceof JsonArray parts) {
                    StringBuilder sb = new StringBuilder();
                    for (int j = 0; j < parts.size(); j++) {
                        if (j > 0) {
                            sb.append(' ');
                        }
                        sb.append(parts.getValue(j));
                    }
                    instances.add(new JsonObject().put("content", sb.toString()));
                } else {
                    throw new ConversionException("unsupported input type at index " + (i + 1));
                }
            }
        } else if (input == null) {
            throw new ConversionException("`input` is required for embeddings");
        } else {
            throw new ConversionException("`input` must be string or array");
        }
        return new JsonObject().put("instances", instances);
    }

    /**
     * {@code {"predictions": [{"embeddings": {"values": [...], "statistics": {"token_count": n}}}]}}
     * → OpenAI's {@code {"object": "list", "data": [...], "model": ..., "usage": {...}}}.
     */
    public static JsonObject toOpenAiResponse(JsonObject body, String model) throws ConversionException {
        if (body == null || !(body.getValue("predictions") instanceof JsonArray predictions)) {
            throw new ConversionException("vertex response missing predictions");
        }
        JsonArray data = new JsonArray();
        long tokens = 0;
        for (int i = 0; i < predictions.size(); i++) {
            JsonObject pred = predictions.getValue(i) instanceof JsonObject p ? p : new JsonObject();
            JsonObject emb = pred.getValue("embeddings") instanceof JsonObject e ? e : new JsonObject();
            if (!(emb.getValue("values") instanceof JsonArray values)) {
                throw new ConversionException("invalid embedding at index " + (i + 1));
            }
            if (emb.getValue("statistics") instanceof JsonObject st && st.getValue("token_count") instanceof Number n) {
                tokens += n.longValue();
            }
            data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", values));
        }
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model == null ? "unknown" : model)
                .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
    }
}
