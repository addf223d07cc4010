package dev.aigw.t.multi;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider that answers 200 with a response head ({@code text/event-stream} or JSON, chunked) and
 * then closes the connection before any body byte: what MockLlm cannot do (its {@code dieAfterChunks(0)}
 * still sends the role chunk, the stream's first event).
 */
final class HeadThenDie implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    HeadThenDie(String contentType) {
        try {
            server = vertx.createHttpServer().requestHandler(req -> req.body().onComplete(body -> {
                requests.incrementAndGet();
                var resp = req.response().setStatusCode(200).setChunked(true).putHeader("content-type", contentType);
                // the head reaches the socket, then the connection goes without a body or its last chunk
                resp.writeHead().onComplete(v -> req.connection().close());
            })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("head-then-die server failed to start", e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort in cleanup
        }
    }
}
