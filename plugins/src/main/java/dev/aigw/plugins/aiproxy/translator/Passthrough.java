package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * APISIX's {@code passthrough}: the client's method, path, query and bytes go to the provider's
 * host with the configured auth; the answer comes back as it is. No usage is read.
 */
public final class Passthrough extends Translator {

    public Passthrough() {
        super(AiProtocol.PASSTHROUGH, AiProtocol.PASSTHROUGH);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) {
        return null; // the client's bytes
    }

    @Override
    public Buffer response(Buffer body, Observation obs) {
        return null;
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
