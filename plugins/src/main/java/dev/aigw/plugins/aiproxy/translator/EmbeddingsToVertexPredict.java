package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.protocol.VertexPredict;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** OpenAI embeddings ⇄ Vertex AI predict, as APISIX's {@code openai-embeddings-to-vertex-predict}. */
public final class EmbeddingsToVertexPredict extends Translator {

    private String model;

    public EmbeddingsToVertexPredict() {
        super(AiProtocol.EMBEDDINGS, AiProtocol.VERTEX_PREDICT);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) throws TranslationException {
        model = body.getValue("model") instanceof String m ? m : null;
        try {
            return VertexPredict.toPredictRequest(body);
        } catch (VertexPredict.ConversionException e) {
            throw new TranslationException(400, e.getMessage());
        }
    }

    @Override
    public Buffer response(Buffer body, Observation obs) throws TranslationException {
        JsonObject json = parse(body);
        if (json == null) {
            return null;
        }
        try {
            JsonObject out = VertexPredict.toOpenAiResponse(json, model);
            TokenUsage u = TokenUsage.fromOpenAi(out.getValue("usage"));
            obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
            return out.toBuffer();
        } catch (VertexPredict.ConversionException e) {
            throw new TranslationException(500, e.getMessage());
        }
    }

    @Override
    public Buffer streamChunk(Buffer chunk, Observation obs) {
        return chunk;
    }

    @Override
    public Buffer streamEnd(Observation obs) {
        return Buffer.buffer();
    }
}
