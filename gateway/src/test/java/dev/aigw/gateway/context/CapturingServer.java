package dev.aigw.gateway.context;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A real Vert.x HTTP server on 127.0.0.1 whose handler builds a {@link RequestContext} per request,
 * reads the body, lets the test prepare the context and response, answers {@code hello} and, when the
 * response has ended, marks the context finished and hands {@code onEnd(ctx)} (computed on the event
 * loop, as the gateway's log phase) to the test.
 */
public final class CapturingServer implements AutoCloseable {

    public static final String BODY = "hello";

    private final Vertx vertx = Vertx.vertx();
    private final VariableRegistry registry;
    private final HttpServer server;
    private final BlockingQueue<Object> results = new LinkedBlockingQueue<>();
    private volatile Consumer<RequestContext> prepare = ctx -> { };
    private volatile Function<RequestContext, Object> onEnd = ctx -> ctx;

    public CapturingServer(VariableRegistry registry) throws Exception {
        this.registry = registry;
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(req -> {
                    RequestContext ctx = new RequestContext(vertx, req, registry, 1 << 20);
                    HttpServerResponse resp = req.response();
                    resp.endHandler(v -> {
                        ctx.markFinished(resp.getStatusCode());
                        try {
                            results.add(onEnd.apply(ctx));
                        } catch (Throwable t) {
                            results.add(t);
                        }
                    });
                    ctx.readBody().onComplete(ar -> {
                        prepare.accept(ctx);
                        int status = req.getParam("status") == null ? 200 : Integer.parseInt(req.getParam("status"));
                        resp.putHeader("X-Resp", "v1");
                        resp.putHeader("Content-Length", String.valueOf(BODY.length()));
                        ctx.sendHead(status);
                        ctx.end(Buffer.buffer(BODY));
                    });
                })
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public Vertx vertx() {
        return vertx;
    }

    public VariableRegistry registry() {
        return registry;
    }

    public int port() {
        return server.actualPort();
    }

    /** Runs on the event loop before the response is sent (set a route, a request id, vars …). */
    public void prepare(Consumer<RequestContext> p) {
        this.prepare = p;
    }

    /** Runs on the event loop once the response ended; its result is returned by {@link #next()}. */
    public void onEnd(Function<RequestContext, Object> f) {
        this.onEnd = f;
    }

    /** The next result of {@link #onEnd}, waiting at most 10 s. */
    @SuppressWarnings("unchecked")
    public <T> T next() throws Exception {
        Object o = results.poll(10, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("no request finished within 10 s");
        }
        if (o instanceof Throwable t) {
            throw new AssertionError("onEnd failed", t);
        }
        return (T) o;
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
