package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.testkit.Ports;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A minimal gateway pipeline for tests: pause, build the context, optionally rewrite, proxy. */
final class ProxyHarness {

    static final long TIMEOUT_S = 20;

    final BlockingQueue<RequestContext> contexts = new LinkedBlockingQueue<>();
    private final HttpServer server;
    final int port;

    private ProxyHarness(HttpServer server, int port) {
        this.server = server;
        this.port = port;
    }

    static ProxyHarness start(Vertx vertx, UpstreamHandler handler, Consumer<RequestContext> before) throws Exception {
        int port = Ports.free();
        ProxyHarness[] self = new ProxyHarness[1];
        Handler<HttpServerRequest> h = req -> {
            req.pause();
            RequestContext ctx = new RequestContext(vertx, req, new VariableRegistry(), 1 << 20);
            self[0].contexts.add(ctx);
            // as the gateway does: the response's one close handler fans out to the request's listeners
            req.response().closeHandler(v -> {
                if (!req.response().ended()) {
                    ctx.fireClientClosed();
                }
            });
            if (before != null) {
                before.accept(ctx);
            }
            handler.proxy(ctx);
        };
        HttpServer server = vertx.createHttpServer().requestHandler(h);
        self[0] = new ProxyHarness(server, port);
        await(server.listen(port, "127.0.0.1"));
        return self[0];
    }

    /** The context of the next request that reached the pipeline. */
    RequestContext nextContext() throws InterruptedException {
        RequestContext ctx = contexts.poll(TIMEOUT_S, TimeUnit.SECONDS);
        if (ctx == null) {
            throw new AssertionError("no request reached the pipeline");
        }
        return ctx;
    }

    void close() throws Exception {
        await(server.close());
    }

    /**
     * Runs a client-side chain on an event loop and waits for it. Chaining on the test thread would hit
     * Vert.x 5.0.x's HttpClientResponse body()/end() race (eclipse-vertx/vert.x#6038) and hang at random.
     */
    static <T> T onLoop(io.vertx.core.Context loop, java.util.function.Supplier<Future<T>> chain) throws Exception {
        io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
        loop.runOnContext(v -> chain.get().onComplete(p));
        return await(p.future());
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    }
}
