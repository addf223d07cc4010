package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.json.JsonObject;

/**
 * ai-proxy's upstream: one call to the configured instance, relayed to the client. Failures before
 * the answer starts become JSON errors ({@code 502} unreachable, {@code 504} timeout, {@code 400}
 * for a request the provider cannot take).
 */
public final class AiUpstream implements UpstreamHandler {

    private final AiExecutor executor;
    private final AiInstance instance;
    private final AiRequest accessRequest;
    private final boolean collectText;

    /**
     * @param accessRequest the request as read in {@code access}; re-read from the body at proxy time
     *                      when a later plugin replaced the body
     */
    public AiUpstream(AiExecutor executor, AiInstance instance, AiRequest accessRequest, boolean collectText) {
        this.executor = executor;
        this.instance = instance;
        this.accessRequest = accessRequest;
        this.collectText = collectText;
    }

    @Override
    public void proxy(RequestContext ctx) {
        AiRequest req = accessRequest;
        JsonObject now = ctx.jsonBody();
        if (now != null && now != accessRequest.body()) {
            req = AiRequest.of(ctx, now, collectText); // a later plugin rewrote the body
            if (req == null) {
                ctx.exitError(400, "no matching AI protocol for the request");
                return;
            }
        }
        executor.send(instance, ctx, req).onComplete(ar -> {
            if (ar.succeeded()) {
                ar.result().relay();
                return;
            }
            AiCallException e = ar.cause() instanceof AiCallException a ? a
                    : new AiCallException(500, "failed to send request to the LLM server");
            if (!ctx.response().closed() && !ctx.response().ended()) {
                ctx.exitError(e.status(), e.getMessage());
            }
        });
    }
}
