package dev.aigw.gateway.server;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.net.OnContext;
import dev.aigw.gateway.plugin.PluginBinding;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.List;
import java.util.function.BiFunction;

/**
 * Runs an asynchronous phase ({@code rewrite}, {@code access}) over the request's plugins in
 * priority order. Plugins that complete synchronously (the common case) are chained in a plain loop
 * without allocating futures; the chain stops as soon as a plugin answers the request itself
 * ({@link RequestContext#exit}).
 */
final class PhaseRunner {

    /** The phase a plugin was in when it failed, for the error log. */
    static final class PhaseFailure extends RuntimeException {
        final String plugin;

        PhaseFailure(String plugin, Throwable cause) {
            super(cause);
            this.plugin = plugin;
        }
    }

    private PhaseRunner() {
    }

    static Future<Void> run(RequestContext ctx, BiFunction<PluginBinding<?>, RequestContext, Future<Void>> phase) {
        return runFrom(ctx, ctx.plugins(), 0, phase);
    }

    /** Runs a phase over the given plugins (the consumer's added ones, for their rewrite phase). */
    static Future<Void> run(RequestContext ctx, List<PluginBinding<?>> plugins,
                            BiFunction<PluginBinding<?>, RequestContext, Future<Void>> phase) {
        return runFrom(ctx, plugins, 0, phase);
    }

    private static Future<Void> runFrom(RequestContext ctx, List<PluginBinding<?>> plugins, int start,
                                        BiFunction<PluginBinding<?>, RequestContext, Future<Void>> phase) {
        for (int i = start; i < plugins.size(); i++) {
            if (ctx.exited()) {
                return Future.succeededFuture();
            }
            PluginBinding<?> p = plugins.get(i);
            Future<Void> f;
            try {
                f = phase.apply(p, ctx);
            } catch (RuntimeException e) {
                return Future.failedFuture(new PhaseFailure(p.name(), e));
            }
            if (f == null || f.succeeded()) {
                continue;
            }
            if (f.failed()) {
                return Future.failedFuture(wrap(p, f.cause()));
            }
            int next = i + 1;
            Promise<Void> promise = Promise.promise();
            // the next plugin runs on the request's event loop, whatever thread completed this one
            OnContext.here(f).onComplete(ar -> {
                if (ar.failed()) {
                    promise.fail(wrap(p, ar.cause()));
                } else {
                    runFrom(ctx, plugins, next, phase).onComplete(promise);
                }
            });
            return promise.future();
        }
        return Future.succeededFuture();
    }

    private static Throwable wrap(PluginBinding<?> p, Throwable t) {
        // the body-size failure is the client's fault, not the plugin's: keep it recognisable
        if (t instanceof RequestContext.BodyTooLargeException) {
            return t;
        }
        return t instanceof PhaseFailure ? t : new PhaseFailure(p.name(), t);
    }
}
