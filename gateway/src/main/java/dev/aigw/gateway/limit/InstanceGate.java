package dev.aigw.gateway.limit;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Future;

/**
 * A per-request admission check on the instance an upstream is about to call, for upstreams that
 * pick their instance late (ai-proxy-multi picks when it proxies, after every access phase). A token
 * limit plugin puts one in the context under {@link #KEY} in its access phase; the upstream asks it
 * before each attempt and, when an instance's budget is spent, skips it (fallback on
 * {@code rate_limiting}) or answers with the gate's refusal.
 */
public interface InstanceGate {

    /** The context key ({@code ctx.get(InstanceGate.KEY)}). */
    Object KEY = new Object();

    /**
     * Checks (and, with reservations, reserves) the budget of {@code instance} for this request.
     * Completes with true to go ahead, false when the budget is spent or the check could not be made;
     * never fails.
     */
    Future<Boolean> admit(RequestContext ctx, String instance);

    /** Answers the client with the refusal of the last instance refused. */
    void refuse(RequestContext ctx);
}
