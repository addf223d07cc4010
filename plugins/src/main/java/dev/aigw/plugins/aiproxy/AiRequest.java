package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/**
 * What the client asked for, read from its (parsed) body.
 *
 * @param protocol    chat or embeddings
 * @param body        the client's JSON body (not modified by the executor)
 * @param stream      {@code "stream": true}
 * @param clientModel the client's {@code model}, or null
 * @param collectText whether to assemble the answer's text (for {@code logging.payloads})
 */
public record AiRequest(AiProtocol protocol, JsonObject body, boolean stream, String clientModel,
                        boolean collectText) {

    /** The request for a body, or null when it is neither chat nor embeddings. */
    public static AiRequest of(JsonObject body, boolean collectText) {
        AiProtocol p = AiProtocol.detect(body);
        if (p == null) {
            return null;
        }
        return new AiRequest(p, body, p.isStreaming(body),
                body.getValue("model") instanceof String s ? s : null, collectText);
    }

    /** True when the client itself asked for a usage chunk ({@code stream_options.include_usage}). */
    public boolean clientAskedUsage() {
        return body.getValue("stream_options") instanceof JsonObject so
                && Boolean.TRUE.equals(so.getValue("include_usage"));
    }
}
