package dev.aigw.gateway.server;

import dev.aigw.gateway.conf.HttpTimeouts;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.concurrent.TimeUnit;

/**
 * What nginx checks on an HTTP/1.x connection and Netty does not, installed per connection into the
 * Vert.x pipeline (two small handlers around Netty's HTTP decoder, no work outside the request head):
 * <ul>
 *   <li>{@code client_header_timeout}: a request head must be complete within it (from the connection's
 *       start, or from the first byte of a later request), else the connection is closed; a client that
 *       sends one header line every few seconds is no longer kept for ever.</li>
 *   <li>{@code keepalive_timeout}: an idle kept-alive connection is closed after it (0: after each response).</li>
 *   <li>Two {@code Host} headers, or an obs-fold line (a header line starting with a space or tab, which
 *       Netty silently joins to the previous header), → 400, as nginx answers ("client sent duplicate host
 *       header" / "client sent invalid header line"). The request is marked invalid for Vert.x, so it
 *       answers 400, closes the connection, and the gateway logs it like any request.</li>
 *   <li>An absolute-form target ({@code GET http://a.example/x HTTP/1.1}): as RFC 9112 §3.2.2 requires,
 *       the target's authority replaces {@code Host} and the target becomes origin-form ({@code /x}), so
 *       routing, variables, logs and the upstream all see one host and one path.</li>
 * </ul>
 * The obs-fold scan reads the head's bytes before Netty does (a byte loop over a few hundred bytes per
 * request, stopped at the blank line); a head that arrives pipelined behind a previous request's body in
 * the same read is not scanned, which costs nothing in safety: Netty has already unfolded such a line,
 * and the gateway forwards the unfolded header, never the fold.
 *
 * <p>Everything runs on the connection's event loop; no locks.
 */
final class ConnectionGuard implements ByteProcessor {

    private static final String DECODER = "httpDecoder";
    private static final String ENCODER = "httpEncoder";
    private static final String RAW = "aigwHeadScan";
    /** Vert.x's IdleStateHandler of the listener's {@code idleTimeout}. */
    private static final String VERTX_IDLE = "idle";
    private static final String DECODED = "aigwHeadCheck";

    /** Waiting for (or reading) a request head. */
    private static final int HEAD = 0;
    /** A request head was received, its response has not ended. */
    private static final int BUSY = 1;
    /** Kept alive between requests. */
    private static final int IDLE = 2;

    private final long headerNanos;
    private final long keepaliveNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private int state = HEAD;
    private int pending;

    // head scan state
    private boolean scanning = true;
    private boolean startLineSeen;
    private int lineLength;
    private boolean obsFold;

    private ConnectionGuard(HttpTimeouts timeouts) {
        this.headerNanos = timeouts.clientHeader().toNanos();
        this.keepaliveNanos = timeouts.keepalive().toNanos();
    }

    /** Installs the guard on an HTTP/1.x connection; HTTP/2 connections (h2c) are left to their own framing. */
    static void install(HttpConnection connection, HttpTimeouts timeouts) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        ChannelPipeline p = base.channelHandlerContext().pipeline();
        if (p.get(DECODER) == null || p.get(ENCODER) == null || p.get(RAW) != null) {
            return;
        }
        ConnectionGuard g = new ConnectionGuard(timeouts);
        p.addBefore(DECODER, RAW, g.new Raw());
        p.addAfter(ENCODER, DECODED, g.new Decoded());
    }

    private void schedule(long nanos) {
        cancel();
        timer = ctx.executor().schedule(this::expired, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (state != BUSY) {
            // nginx closes without an answer too (it logs 408 for an incomplete head)
            ctx.channel().close();
        }
    }

    /** Scans head bytes: stops (returns false) at the blank line that ends the head. */
    @Override
    public boolean process(byte b) {
        if (b == '\n') {
            if (lineLength == 0) {
                if (startLineSeen) {
                    scanning = false;
                    return false;
                }
                return true; // empty lines before the request line are allowed (RFC 9112 §2.2)
            }
            lineLength = 0;
            startLineSeen = true;
            return true;
        }
        if (lineLength == 0 && startLineSeen && (b == ' ' || b == '\t')) {
            obsFold = true;
        }
        if (b != '\r') {
            lineLength++;
        }
        return true;
    }

    private void requestEnded() {
        scanning = true;
        startLineSeen = false;
        lineLength = 0;
    }

    /** Checks a decoded request head; returns the reason to refuse it, or null. */
    private String check(HttpRequest req) {
        if (obsFold) {
            obsFold = false;
            return "client sent invalid header line (obs-fold)";
        }
        HttpHeaders h = req.headers();
        if (h.getAll(HttpHeaderNames.HOST).size() > 1) {
            return "client sent duplicate host header";
        }
        String uri = req.uri();
        if (!uri.isEmpty() && uri.charAt(0) != '/' && uri.charAt(0) != '*') {
            return absoluteForm(req, uri);
        }
        return null;
    }

    /** RFC 9112 §3.2.2: the target's authority is the host; the rest is sent on in origin-form. */
    private static String absoluteForm(HttpRequest req, String uri) {
        int sep = uri.indexOf("://");
        if (sep <= 0) {
            return null; // authority-form (CONNECT) or garbage: routing answers it
        }
        String scheme = uri.substring(0, sep);
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            return "client sent invalid request: unsupported scheme in the request target";
        }
        int from = sep + 3;
        int end = from;
        while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
            end++;
        }
        String authority = uri.substring(from, end);
        if (authority.isEmpty() || authority.indexOf('@') >= 0) {
            return "client sent invalid host in the request target";
        }
        String rest = uri.substring(end);
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            rest = rest.substring(0, hash);
        }
        req.setUri(rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest);
        req.headers().set(HttpHeaderNames.HOST, authority);
        return null;
    }

    /** Before the decoder: raw bytes. Starts the header timer when a new request begins; scans for obs-fold. */
    private final class Raw extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            ctx = c;
            schedule(headerNanos);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext c) {
            cancel();
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) throws Exception {
            cancel();
            super.channelInactive(c);
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
            if (msg instanceof ByteBuf buf && buf.isReadable()) {
                if (state == IDLE) {
                    state = HEAD;
                    schedule(headerNanos);
                }
                if (scanning) {
                    buf.forEachByte(ConnectionGuard.this);
                }
            }
            super.channelRead(c, msg);
        }
    }

    /** After the decoder (inbound: request objects) and before the encoder (outbound: response objects). */
    private final class Decoded extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
            if (msg instanceof HttpRequest req) {
                cancel();
                state = BUSY;
                pending++;
                if (req.decoderResult().isSuccess()) {
                    String refused = check(req);
                    if (refused != null) {
                        req.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(refused)));
                    }
                }
            }
            if (msg instanceof LastHttpContent) {
                requestEnded();
            }
            super.channelRead(c, msg);
        }

        @Override
        public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse res && res.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                // h2c upgrade or WebSocket: no longer HTTP/1.x requests and responses
                cancel();
                ChannelPipeline p = c.pipeline();
                super.write(c, msg, promise);
                p.remove(RAW);
                p.remove(this);
                if (res.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                        && p.get(VERTX_IDLE) != null) {
                    // a WebSocket session has its own idle bound (WebSocketRelay: the upstream's
                    // timeout.read); the listener's idle timeout would cut quiet sessions without a close frame
                    p.remove(VERTX_IDLE);
                }
                return;
            }
            if (msg instanceof HttpResponse res && res.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 100 Continue: the real response is still to come
                super.write(c, msg, promise);
                return;
            }
            if (msg instanceof LastHttpContent && pending > 0 && --pending == 0) {
                state = IDLE;
                if (keepaliveNanos == 0) {
                    promise = promise.unvoid();
                    promise.addListener(f -> c.channel().close());
                } else {
                    schedule(keepaliveNanos);
                }
            }
            super.write(c, msg, promise);
        }
    }
}
