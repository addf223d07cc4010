package dev.aigw.gateway.net;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;

/**
 * Keeps a request on its own event loop. A future shared between requests (one Sentinel lookup, one
 * tokenizer load, a worker's result) is completed on whichever thread finished it, and a plain
 * future runs its listeners there: a request on another event loop would carry on on that thread,
 * beside its own loop still handling the connection's events. With several event loops serving
 * traffic, such a future must hand its result back through the caller's context.
 */
public final class OnContext {

    private OnContext() {
    }

    /**
     * {@code f}, its listeners run on the calling thread's Vert.x context (no hop when it completes
     * there); {@code f} itself when it is already complete or the caller has no context.
     */
    public static <T> Future<T> here(Future<T> f) {
        if (f.isComplete()) {
            return f;
        }
        Context c = Vertx.currentContext();
        if (!(c instanceof ContextInternal ci)) {
            return f;
        }
        PromiseInternal<T> p = ci.promise();
        f.onComplete(p);
        return p.future();
    }
}
