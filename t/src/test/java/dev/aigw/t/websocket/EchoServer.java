package dev.aigw.t.websocket;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real WebSocket upstream on 127.0.0.1 (Vert.x): echoes each text and binary message as a whole;
 * the text message {@code close <code> <reason>} makes it close with that code. On {@code /ws/stall...}
 * it accepts the upgrade and reads nothing until {@link #resumeStalled()}. Records each upgrade's
 * headers and the close code each session ended with. A plain HTTP request is answered 200 with the
 * headers it carried, as JSON.
 */
final class EchoServer implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    final List<MultiMap> upgrades = new CopyOnWriteArrayList<>();
    final List<MultiMap> plain = new CopyOnWriteArrayList<>();
    final List<String> closes = new CopyOnWriteArrayList<>();
    final AtomicInteger open = new AtomicInteger();
    final List<io.vertx.core.http.ServerWebSocket> stalled = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicLong stalledBytes = new java.util.concurrent.atomic.AtomicLong();

    EchoServer() throws Exception {
        server = vertx.createHttpServer(new HttpServerOptions().setMaxWebSocketFrameSize(1 << 20)
                        .setMaxWebSocketMessageSize(64 << 20))
                .requestHandler(this::handle)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    int port() {
        return server.actualPort();
    }

    String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** Stalled sessions read again (what they read is counted in {@link #stalledBytes}). */
    void resumeStalled() {
        stalled.forEach(io.vertx.core.http.ServerWebSocket::resume);
    }

    void reset() {
        stalled.clear();
        stalledBytes.set(0);
        upgrades.clear();
        plain.clear();
        closes.clear();
    }

    private void handle(HttpServerRequest req) {
        if (!req.canUpgradeToWebSocket()) {
            plain.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            JsonObject seen = new JsonObject();
            req.headers().forEach(e -> seen.put(e.getKey().toLowerCase(), e.getValue()));
            req.response().putHeader("Content-Type", "application/json").end(seen.encode());
            return;
        }
        upgrades.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
        boolean stall = req.path().startsWith("/ws/stall");
        req.toWebSocket().onSuccess(ws -> {
            open.incrementAndGet();
            if (stall) {
                // a peer that stops reading (the gateway must stop reading its client) until resumed
                ws.handler(b -> stalledBytes.addAndGet(b.length()));
                ws.pause();
                stalled.add(ws);
                ws.closeHandler(v -> open.decrementAndGet());
                return;
            }
            ws.textMessageHandler(text -> {
                if (text.startsWith("close ")) {
                    String[] p = text.split(" ", 3);
                    ws.close(Short.parseShort(p[1]), p.length > 2 ? p[2] : null);
                } else {
                    ws.writeTextMessage(text);
                }
            });
            ws.binaryMessageHandler(ws::writeBinaryMessage);
            ws.closeHandler(v -> {
                open.decrementAndGet();
                closes.add(ws.closeStatusCode() + " " + ws.closeReason());
            });
        });
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
