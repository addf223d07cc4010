package dev.aigw.gateway.websocket;

import dev.aigw.gateway.context.NginxTime;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.UpstreamVariables;
import dev.aigw.gateway.upstream.Backpressure;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeoutException;

/**
 * One WebSocket session through the gateway: opens the upstream WebSocket, then upgrades the client
 * and relays frames both ways.
 *
 * <ul>
 *   <li>Before the upgrade the client still gets HTTP answers: 502 when no connection could be made,
 *       504 on a connect or handshake timeout, the upstream's own status and body when it refused the
 *       upgrade (as nginx passes a non-101 answer through).</li>
 *   <li>Frames are relayed as they come (never aggregated into messages); the side whose peer's write
 *       queue is full is paused until the peer drains.</li>
 *   <li>A frame or a (fragmented) message over {@code apisix.websocket.max_message_size} closes the
 *       sender with 1009 and its peer with 1001.</li>
 *   <li>No frame either way for the idle timeout (the upstream's {@code timeout.read}, as nginx's
 *       {@code proxy_read_timeout} bounds a WebSocket tunnel) closes both sides with 1001.</li>
 *   <li>A close frame from either side is passed on with its code and reason; a connection lost without
 *       one closes the peer with 1001 (client gone) or 1011 (upstream gone).</li>
 *   <li>Pings are answered by each hop (Vert.x answers them), not relayed.</li>
 * </ul>
 * The access log line is written when both sides are closed: status 101, {@code body_bytes_sent} the
 * payload bytes sent to the client, {@code upstream_response_time} the session's duration.
 * Everything runs on the request's event loop; nothing blocks.
 */
public final class WebSocketRelay {

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRelay.class);

    private static final Buffer BODY_502 = Buffer.buffer("{\"error_msg\":\"failed to connect to upstream\"}\n");
    private static final Buffer BODY_504 = Buffer.buffer("{\"error_msg\":\"upstream timed out\"}\n");

    /** Sees each frame the upstream sends the client, as it passes (synchronous; must be cheap). */
    public interface Tap {
        void fromUpstream(WebSocketFrame frame);
    }

    private WebSocketRelay() {
    }

    /**
     * A WebSocket client for one upstream (or provider), shared by its sessions.
     *
     * @param maxMessageSize the largest frame accepted from the upstream
     * @param ssl            wss
     * @param verify         verify the upstream's certificate and host name
     */
    public static WebSocketClient client(Vertx vertx, int maxMessageSize, long connectTimeoutMs, boolean ssl,
                                         boolean verify) {
        WebSocketClientOptions o = new WebSocketClientOptions()
                .setMaxFrameSize(maxMessageSize)
                .setMaxMessageSize(maxMessageSize)
                // nginx does not cap concurrent tunnels per upstream; Vert.x defaults to 50 per endpoint
                .setMaxConnections(4096)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeoutMs)))
                .setTryUsePerFrameCompression(false)
                .setTryUsePerMessageCompression(false)
                .setTcpNoDelay(true);
        // ssl is the default; a connection may still choose (WebSocketConnectOptions.setSsl)
        o.setSsl(ssl).setTrustAll(!verify).setVerifyHost(verify);
        return vertx.createWebSocketClient(o);
    }

    /**
     * Connects to the upstream with {@code opts} (server, URI, headers already set), then upgrades the
     * client and relays until either side closes. Answers the client itself when the upstream cannot be
     * reached. {@code onEnd} runs once, when the attempt or the session is over.
     *
     * @param idleMs close both sides after this long without a frame either way (0: never)
     * @param tap    observer of the upstream's frames, or null
     */
    public static void proxy(RequestContext ctx, WebSocketClient client, WebSocketConnectOptions opts, long idleMs,
                             Tap tap, Runnable onEnd) {
        WebSocketUpgrade upgrade = ctx.webSocket();
        Attempt a = new Attempt(ctx, upgrade, idleMs, tap, onEnd);
        ctx.onClientClose(() -> a.clientGone = true);
        client.connect(opts).onComplete(a::connected);
    }

    /** The connect and upgrade, then the session. */
    private static final class Attempt {
        private final RequestContext ctx;
        private final WebSocketUpgrade upgrade;
        private final long idleMs;
        private final Tap tap;
        private final Runnable onEnd;
        private final long startNanos = System.nanoTime();
        boolean clientGone;

        private ServerWebSocket down;
        private WebSocket up;
        private long lastActivity;
        private long timer = -1;
        private long bytesToClient;
        private int downMessage;
        private int upMessage;
        private boolean closing;
        private boolean downClosed;
        private boolean upClosed;
        private boolean ended;

        Attempt(RequestContext ctx, WebSocketUpgrade upgrade, long idleMs, Tap tap, Runnable onEnd) {
            this.ctx = ctx;
            this.upgrade = upgrade;
            this.idleMs = idleMs;
            this.tap = tap;
            this.onEnd = onEnd;
        }

        void connected(AsyncResult<WebSocket> ar) {
            if (ar.failed()) {
                refused(ar.cause());
                return;
            }
            up = ar.result();
            if (clientGone) {
                up.close((short) 1001);
                end();
                return;
            }
            ctx.setVar(UpstreamVariables.STATUS, "101");
            up.pause();
            ctx.request().toWebSocket().onComplete(sw -> {
                if (sw.failed()) {
                    LOG.warn("WebSocket upgrade of the client failed, route {}: {}", routeId(), sw.cause().toString());
                    up.close((short) 1001);
                    end();
                    return;
                }
                down = sw.result();
                upgrade.markUpgraded();
                start();
            });
        }

        private void refused(Throwable cause) {
            recordTime();
            end();
            if (cause instanceof UpgradeRejectedException r) {
                // the upstream answered, but not with 101: its answer goes to the client as it is
                ctx.setVar(UpstreamVariables.STATUS, Integer.toString(r.getStatus()));
                LOG.warn("upstream refused the WebSocket upgrade for route {}: status {}", routeId(), r.getStatus());
                if (clientGone) {
                    return;
                }
                String ct = r.getHeaders() == null ? null : r.getHeaders().get(HttpHeaders.CONTENT_TYPE);
                if (ct != null) {
                    ctx.response().headers().set(HttpHeaders.CONTENT_TYPE, ct);
                }
                ctx.sendHead(r.getStatus());
                ctx.end(r.getBody() == null ? null : r.getBody());
                return;
            }
            boolean timeout = cause instanceof TimeoutException || cause instanceof ConnectTimeoutException
                    || (cause.getMessage() != null && cause.getMessage().contains("timed out"));
            int status = timeout ? 504 : 502;
            ctx.setVar(UpstreamVariables.STATUS, Integer.toString(status));
            LOG.error("{} for route {}, upstream {}: {}", timeout ? "upstream timed out" : "failed to connect to upstream",
                    routeId(), ctx.varString("upstream_addr"), cause.toString());
            if (clientGone) {
                return;
            }
            ctx.response().headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
            ctx.sendHead(status);
            ctx.end((timeout ? BODY_504 : BODY_502).copy());
        }

        private void start() {
            lastActivity = System.nanoTime();
            relay(down, up, true);
            relay(up, down, false);
            down.closeHandler(v -> {
                downClosed = true;
                Short code = down.closeStatusCode();
                closeBoth(up, code, down.closeReason(), (short) 1001, "client gone");
            });
            up.closeHandler(v -> {
                upClosed = true;
                Short code = up.closeStatusCode();
                closeBoth(down, code, up.closeReason(), (short) 1011, "upstream connection lost");
            });
            if (idleMs > 0) {
                timer = ctx.vertx().setTimer(idleMs, this::idleCheck);
            }
            up.resume();
        }

        /** {@code from}'s frames to {@code to}, pausing {@code from} while {@code to} cannot take more. */
        private void relay(WebSocketBase from, WebSocketBase to, boolean fromClient) {
            int max = upgrade.maxMessageSize();
            from.exceptionHandler(err -> {
                if (err instanceof CorruptedWebSocketFrameException c && c.closeStatus() != null
                        && c.closeStatus().code() == 1009 && !closing) {
                    // the codec refused a frame over the cap: tell the sender why before the connection goes
                    LOG.warn("WebSocket frame over {} bytes from the {} on route {}: closed with 1009",
                            max, fromClient ? "client" : "upstream", routeId());
                    closing = true;
                    safeClose(from, (short) 1009, "message too big");
                    safeClose(to, (short) 1001, "peer sent a message too large");
                } else {
                    LOG.debug("WebSocket error on route {}: {}", routeId(), err.toString());
                }
            });
            from.frameHandler(f -> {
                if (f.isClose()) {
                    short code = f.closeStatusCode();
                    closeBoth(to, code, f.closeReason(), (short) 1000, null);
                    return;
                }
                if (f.isPing() || f.type() == io.vertx.core.http.WebSocketFrameType.PONG || closing) {
                    return;
                }
                lastActivity = System.nanoTime();
                int len = f.binaryData().length();
                int total;
                if (fromClient) {
                    total = downMessage = f.isContinuation() ? downMessage + len : len;
                } else {
                    total = upMessage = f.isContinuation() ? upMessage + len : len;
                    bytesToClient += len;
                }
                if (total > max || total < 0) {
                    LOG.warn("WebSocket message over {} bytes from the {} on route {}: closed with 1009",
                            max, fromClient ? "client" : "upstream", routeId());
                    closing = true;
                    safeClose(from, (short) 1009, "message too big");
                    safeClose(to, (short) 1001, "peer sent a message too large");
                    return;
                }
                if (!fromClient && tap != null) {
                    try {
                        tap.fromUpstream(f);
                    } catch (RuntimeException e) {
                        LOG.warn("WebSocket frame observer failed on route {}", routeId(), e);
                    }
                }
                to.writeFrame(f);
                if (to.writeQueueFull()) {
                    Backpressure.pauseUntilDrained(from, to, () -> false);
                }
            });
        }

        /**
         * One side closed (with {@code code} and {@code reason} when it sent a close frame): pass it on to the
         * other, with {@code fallback} when there was no code to pass; end the session once both are closed.
         */
        private void closeBoth(WebSocketBase other, Short code, String reason, short fallback, String fallbackReason) {
            if (!closing) {
                closing = true;
                if (code == null || code == 1005 || code == 1006 || code == 1015) {
                    // 1005/1006/1015 mean "no code" and must not be sent in a close frame
                    if (code != null && code == 1005) {
                        safeClose(other, (short) 1000, null);
                    } else {
                        safeClose(other, fallback, fallbackReason);
                    }
                } else {
                    safeClose(other, code, reason);
                }
            }
            if (downClosed && upClosed) {
                finishSession();
            }
        }

        private void safeClose(WebSocketBase ws, short code, String reason) {
            if (ws.isClosed()) {
                return;
            }
            (reason == null ? ws.close(code) : ws.close(code, reason))
                    .onFailure(err -> LOG.debug("WebSocket close failed: {}", err.toString()));
        }

        private void idleCheck(long id) {
            if (ended || closing) {
                return;
            }
            long idleFor = (System.nanoTime() - lastActivity) / 1_000_000;
            if (idleFor < idleMs) {
                timer = ctx.vertx().setTimer(idleMs - idleFor, this::idleCheck);
                return;
            }
            LOG.info("WebSocket session on route {} idle for {} ms: closing both sides", routeId(), idleFor);
            closing = true;
            safeClose(down, (short) 1001, "idle timeout");
            safeClose(up, (short) 1001, "idle timeout");
        }

        private void finishSession() {
            if (ended) {
                return;
            }
            if (timer >= 0) {
                ctx.vertx().cancelTimer(timer);
            }
            recordTime();
            ctx.setVar("body_bytes_sent", bytesToClient);
            ctx.setVar("bytes_sent", bytesToClient);
            end();
            upgrade.finish(101);
        }

        private void recordTime() {
            long ms = (System.nanoTime() - startNanos) / 1_000_000;
            ctx.setVar(UpstreamVariables.RESPONSE_TIME, NginxTime.seconds3(ms));
            ctx.setVar("apisix_upstream_response_time", ms);
        }

        private void end() {
            if (!ended) {
                ended = true;
                onEnd.run();
            }
        }

        private String routeId() {
            return ctx.route() == null ? "-" : ctx.route().id();
        }
    }
}
