package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/**
 * What the client asked for, read from its request.
 *
 * @param protocol    the client's protocol
 * @param body        the client's JSON body (not modified by the executor), or null (passthrough without a JSON body)
 * @param stream      {@code "stream": true}
 * @param clientModel the client's {@code model}, or null
 * @param collectText whether to assemble the answer's text (for {@code logging.payloads})
 */
public record AiRequest(AiProtocol protocol, JsonObject body, boolean stream, String clientModel,
                        boolean collectText) {

    /** The request for a body alone (chat or embeddings), or null when it is neither. */
    public static AiRequest of(JsonObject body, boolean collectText) {
        return of(AiProtocol.detect(body), body, collectText);
    }

    /**
     * The request of a client call, its protocol detected as APISIX does (path, then body), or null
     * when no protocol matches.
     */
    public static AiRequest of(RequestContext ctx, JsonObject body, boolean collectText) {
        return of(AiProtocol.detect(ctx.request().method().name(), ctx.request().path(), body), body, collectText);
    }

    private static AiRequest of(AiProtocol p, JsonObject body, boolean collectText) {
        if (p == null) {
            return null;
        }
        return new AiRequest(p, body, p.isStreaming(body),
                body != null && body.getValue("model") instanceof String s ? s : null, collectText);
    }

    /** True when the client itself asked for a usage chunk ({@code stream_options.include_usage}). */
    public boolean clientAskedUsage() {
        return body != null && body.getValue("stream_options") instanceof JsonObject so
                && Boolean.TRUE.equals(so.getValue("include_usage"));
    }
}
