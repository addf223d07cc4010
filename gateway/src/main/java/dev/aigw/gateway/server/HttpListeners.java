package dev.aigw.gateway.server;

import dev.aigw.gateway.conf.HttpTimeouts;
import dev.aigw.gateway.conf.Listen;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.util.concurrent.TimeUnit;

/**
 * What the data plane's and the Admin API's listeners share: HTTP options (h2c only when the listener
 * enables it), nginx's client timeouts ({@link ConnectionGuard}), and a bind failure that names the address
 * and the configuration key.
 */
public final class HttpListeners {

    /**
     * Seconds without any read or write before a connection is closed, while a request is in flight (a
     * stalled body upload or a client that stopped reading); between requests {@code keepalive_timeout} applies.
     */
    static final int IDLE_SECONDS = 60;

    private HttpListeners() {
    }

    /** Options for one listener: HTTP/1.x, plus h2c only when {@code listen.http2()}. */
    public static HttpServerOptions options(Listen listen, HttpTimeouts timeouts) {
        // never shorter than the timeouts the guard applies, or it would cut them short
        long idle = Math.max(IDLE_SECONDS, Math.max(timeouts.keepalive().toSeconds(), timeouts.clientHeader().toSeconds()) + 1);
        return new HttpServerOptions()
                .setHost(listen.ip())
                .setPort(listen.port())
                .setHttp2ClearTextEnabled(listen.http2())
                .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idle))
                .setIdleTimeoutUnit(TimeUnit.SECONDS);
    }

    /** Installs the client timeouts and the header checks on every HTTP/1.x connection of {@code server}. */
    public static HttpServer guard(HttpServer server, HttpTimeouts timeouts) {
        return guard(server, timeouts, null);
    }

    /**
     * {@link #guard(HttpServer, HttpTimeouts)}, then {@code also} for each connection: a server has one
     * connection handler, so whoever else needs one (connection counts) goes through here.
     */
    public static HttpServer guard(HttpServer server, HttpTimeouts timeouts,
                                   io.vertx.core.Handler<io.vertx.core.http.HttpConnection> also) {
        return server.connectionHandler(conn -> {
            ConnectionGuard.install(conn, timeouts);
            if (also != null) {
                also.handle(conn);
            }
        });
    }

    /** Listens; a failure names the address and the key it came from ("port 9080 is already in use"). */
    public static Future<HttpServer> listen(HttpServer server, Listen listen, String key) {
        return server.listen().recover(e -> Future.failedFuture(new IllegalStateException(
                "cannot listen on " + listen + " (" + key + "): " + reason(e, listen), e)));
    }

    private static String reason(Throwable e, Listen listen) {
        String msg = String.valueOf(e.getMessage());
        if (e instanceof java.net.BindException || msg.contains("Address already in use")) {
            return "port " + listen.port() + " is already in use";
        }
        return msg;
    }
}
