package dev.aigw.gateway.websocket;

import io.vertx.core.http.HttpServerRequest;

import java.util.function.IntConsumer;

/**
 * A WebSocket upgrade request on a route that accepts it ({@code enable_websocket}), as the gateway
 * hands it to the upstream handler through {@link dev.aigw.gateway.context.RequestContext#webSocket()}.
 * An upstream handler that cannot relay WebSockets ignores it: the request is then proxied as plain
 * HTTP, without its {@code Upgrade} header, as APISIX does for routes without {@code enable_websocket}.
 */
public final class WebSocketUpgrade {

    private final int maxMessageSize;
    private final IntConsumer finish;
    private boolean upgraded;

    /**
     * @param maxMessageSize {@code apisix.websocket.max_message_size}: largest frame and message, bytes
     * @param finish         ends the request in the gateway (log phase, access log) with a status
     */
    public WebSocketUpgrade(int maxMessageSize, IntConsumer finish) {
        this.maxMessageSize = maxMessageSize;
        this.finish = finish;
    }

    /** True for a request a WebSocket handshake may answer: HTTP/1.1 GET with {@code Upgrade: websocket}. */
    public static boolean requested(HttpServerRequest req) {
        return req.headers().contains("Upgrade") && req.canUpgradeToWebSocket();
    }

    public int maxMessageSize() {
        return maxMessageSize;
    }

    /** True once the client got its 101: from then on only the relay ends the request. */
    public boolean upgraded() {
        return upgraded;
    }

    void markUpgraded() {
        upgraded = true;
    }

    /** Ends the request in the gateway once the session is over (status 101). */
    void finish(int status) {
        finish.accept(status);
    }
}
