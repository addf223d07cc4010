package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** OpenAI embeddings to a provider that speaks them: the body as it is, usage from the answer. */
public final class EmbeddingsNative extends Translator {

    public EmbeddingsNative() {
        super(AiProtocol.EMBEDDINGS, AiProtocol.EMBEDDINGS);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) {
        return shallow(body);
    }

    @Override
    public Buffer response(Buffer body, Observation obs) {
        JsonObject json = parse(body);
        if (json != null) {
            TokenUsage u = TokenUsage.fromOpenAi(json.getValue("usage"));
            obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
            obs.model(json.getValue("model") instanceof String m ? m : null);
        }
        return null;
    }

    @Override
    public Buffer streamChunk(Buffer chunk, Observation obs) {
        return chunk; // embeddings do not stream: whatever came is relayed as it is
    }

    @Override
    public Buffer streamEnd(Observation obs) {
        return Buffer.buffer();
    }
}
