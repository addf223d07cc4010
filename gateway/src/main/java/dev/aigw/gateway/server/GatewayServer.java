package dev.aigw.gateway.server;

import dev.aigw.gateway.consumer.Consumer;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.conf.HttpTimeouts;
import dev.aigw.gateway.conf.Listen;
import dev.aigw.gateway.context.BodyBudget;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.RequestLogSink;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.route.RuntimeConfig;
import dev.aigw.gateway.upstream.UpstreamHandler;
import dev.aigw.gateway.websocket.WebSocketUpgrade;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The traffic server: for each request, match a route on the current table (taken once, so a swap
 * never disturbs a request in flight), run the plugins' rewrite and access phases, let
 * beforeProxy pick the upstream, proxy, and once the response is finished (or the client went away)
 * run the log phase and the log sinks.
 */
public final class GatewayServer {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

    private final Vertx vertx;
    private final Supplier<RuntimeConfig> config;
    private final VariableRegistry variables;
    private final List<RequestLogSink> sinks;
    private final long maxBodySize;
    private final BodyBudget bodyBudget;
    private final long postArgsLimit;
    private final List<HttpServer> servers = new ArrayList<>();
    /** {@code apisix.websocket.max_message_size}: largest WebSocket frame and message relayed. */
    private int webSocketMaxMessageSize = 1 << 20;
    private int eventLoops = 1;
    private final ServerStats stats = new ServerStats();
    /** Rate limit of the budget warning; a racy read is harmless (one extra line at worst). */
    private volatile long lastBudgetWarn = System.nanoTime() - 20_000_000_000L;

    /**
     * @param config      the current runtime configuration; read once per request
     * @param maxBodySize {@code client_max_body_size} in bytes, 0 for no limit
     */
    public GatewayServer(Vertx vertx, Supplier<RuntimeConfig> config, VariableRegistry variables,
                         List<RequestLogSink> sinks, long maxBodySize) {
        this(vertx, config, variables, sinks, maxBodySize, BodyBudget.UNLIMITED);
    }

    /** @param bodyBudget what all requests together may hold of request bodies in memory */
    public GatewayServer(Vertx vertx, Supplier<RuntimeConfig> config, VariableRegistry variables,
                         List<RequestLogSink> sinks, long maxBodySize, BodyBudget bodyBudget) {
        this(vertx, config, variables, sinks, maxBodySize, bodyBudget, 64L << 20);
    }

    /** @param postArgsLimit {@code apisix.max_post_args_readable_size} in bytes (0: none) */
    public GatewayServer(Vertx vertx, Supplier<RuntimeConfig> config, VariableRegistry variables,
                         List<RequestLogSink> sinks, long maxBodySize, BodyBudget bodyBudget, long postArgsLimit) {
        this.postArgsLimit = postArgsLimit;
        this.vertx = vertx;
        this.config = config;
        this.variables = variables;
        this.sinks = List.copyOf(sinks);
        this.maxBodySize = maxBodySize;
        this.bodyBudget = bodyBudget;
    }

    /** {@link #listen(Listen, HttpTimeouts)} HTTP/1.x only, with nginx's default timeouts. */
    public Future<Void> listen(String host, int port) {
        return listen(new Listen(host, port), HttpTimeouts.DEFAULTS);
    }

    /** Sets {@code apisix.websocket.max_message_size} (before {@link #listen}). */
    public GatewayServer webSocketMaxMessageSize(int bytes) {
        this.webSocketMaxMessageSize = bytes;
        return this;
    }

    /** Connection and request counts of every listener. */
    public ServerStats stats() {
        return stats;
    }

    /**
     * {@code nginx_config.worker_processes}: how many event loops serve traffic (before {@link #listen}).
     * Each listener gets that many servers, each on an event loop of its own, sharing the port: Vert.x
     * hands their connections round-robin, as the kernel spreads them over nginx's workers. One
     * server would put every connection on one event loop, i.e. one core, whatever the machine has.
     */
    public GatewayServer eventLoops(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("event loops: " + n);
        }
        this.eventLoops = n;
        return this;
    }

    /** Starts a listener per (ip, port) on {@link #eventLoops} event loops, sharing this server's pipeline. */
    public Future<Void> listen(Listen listen, HttpTimeouts timeouts) {
        // one after the other: the first binds the port, the next ones join it
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < eventLoops; i++) {
            chain = chain.compose(v -> {
                ContextInternal loop = ((VertxInternal) vertx).createEventLoopContext();
                Promise<Void> started = Promise.promise();
                loop.runOnContext(x -> listenOnThisLoop(listen, timeouts).onComplete(started));
                return started.future();
            });
        }
        return chain;
    }

    private Future<Void> listenOnThisLoop(Listen listen, HttpTimeouts timeouts) {
        HttpServerOptions opts = HttpListeners.options(listen, timeouts)
                .setTcpNoDelay(true)
                .setReuseAddress(true)
                .setCompressionSupported(false)
                // WebSocket frames are relayed as they are: no compression extension is negotiated
                // (it would also put Netty's extension handler in front of every request)
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                // a frame over the cap is refused by the codec with close 1009 (WebSocketRelay caps messages)
                .setMaxWebSocketFrameSize(webSocketMaxMessageSize)
                .setMaxWebSocketMessageSize(webSocketMaxMessageSize);
        HttpServer server = HttpListeners.guard(vertx.createHttpServer(opts), timeouts, conn -> {
                    stats.accepted.increment();
                    conn.closeHandler(v -> stats.closed.increment());
                }).requestHandler(this::handle)
                .invalidRequestHandler(this::invalid);
        return HttpListeners.listen(server, listen, "apisix.node_listen").map(s -> {
            synchronized (servers) {
                servers.add(s);
            }
            return null;
        });
    }

    /** Stops accepting, lets requests in flight finish for up to {@code graceMillis}, then closes. */
    public Future<Void> shutdown(long graceMillis) {
        List<Future<Void>> all = new ArrayList<>();
        synchronized (servers) {
            for (HttpServer s : servers) {
                all.add(s.shutdown(graceMillis, TimeUnit.MILLISECONDS));
            }
        }
        return Future.join(all).mapEmpty();
    }

    void handle(HttpServerRequest req) {
        // nothing reads the body until a route (or a plugin) asks for it, or the upstream streams it
        req.pause();
        stats.requests.increment();
        stats.inFlight.increment();
        RequestContext ctx = new RequestContext(vertx, req, variables, maxBodySize, bodyBudget);
        ctx.postArgsLimit(postArgsLimit);
        String clientId = req.getHeader("X-Request-Id");
        ctx.requestId(RequestIds.acceptable(clientId) ? clientId : RequestIds.next());
        // Vert.x also calls the end handler when the connection closes before the response was
        // ended (before the close handler): that is a client abort, logged 499 as nginx does
        req.response().endHandler(v -> {
            if (req.response().ended()) {
                finish(ctx, req.response().getStatusCode());
            } else if (!upgraded(ctx)) {
                clientClosed(ctx);
            }
        });
        req.response().closeHandler(v -> {
            if (!req.response().ended() && !upgraded(ctx)) {
                clientClosed(ctx);
            }
        });

        RuntimeConfig rc = config.get();
        ctx.consumers(rc.consumers());
        Future<Route> matched;
        try {
            matched = rc.table().match(ctx);
        } catch (RuntimeException e) {
            fail(ctx, e, null);
            return;
        }
        if (matched.isComplete()) {
            onMatched(ctx, matched.result(), matched.cause());
        } else {
            matched.onComplete(ar -> onMatched(ctx, ar.result(), ar.cause()));
        }
    }

    /**
     * A request the HTTP codec refused (bad header bytes, a line or headers too long): Vert.x answers
     * it (400 / 414 / 431, connection closed); it is logged like any other request, as nginx does.
     */
    void invalid(HttpServerRequest req) {
        stats.requests.increment();
        stats.inFlight.increment();
        RequestContext ctx = new RequestContext(vertx, req, variables, maxBodySize);
        ctx.requestId(RequestIds.next());
        req.response().endHandler(v -> finish(ctx, req.response().ended() ? req.response().getStatusCode() : 499));
        HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(req);
    }

    private void onMatched(RequestContext ctx, Route route, Throwable failure) {
        if (failure != null) {
            fail(ctx, failure, null);
            return;
        }
        if (route == null) {
            // the global rules' filters and log phase see the 404 (metrics and loggers count it, as APISIX);
            // their rewrite/access phases do not run without a route
            ctx.route(null, config.get().globalPlugins());
            ctx.exitError(404, "404 Route Not Found");
            return;
        }
        ctx.route(route, route.plugins());
        if (WebSocketUpgrade.requested(ctx.request()) && route.definition() != null
                && route.definition().getBoolean("enable_websocket", false)) {
            ctx.webSocket(new WebSocketUpgrade(webSocketMaxMessageSize, status -> finish(ctx, status)));
        }
        String cl = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (maxBodySize > 0 && cl != null && !ctx.bodyRequested() && tooLarge(cl)) {
            ctx.discardBody();
            ctx.exitError(413, "413 Request Entity Too Large");
            return;
        }
        Future<Void> rewrite = PhaseRunner.run(ctx, PluginBinding::rewrite);
        if (rewrite.isComplete()) {
            afterRewrite(ctx, rewrite.cause());
        } else {
            rewrite.onComplete(ar -> afterRewrite(ctx, ar.cause()));
        }
    }

    private boolean tooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > maxBodySize;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private void afterRewrite(RequestContext ctx, Throwable failure) {
        if (failure != null) {
            fail(ctx, failure, "rewrite");
            return;
        }
        if (ctx.exited()) {
            return;
        }
        Consumer consumer = ctx.consumer();
        if (consumer != null) {
            if (consumer.groupId() != null && consumer.group() == null) {
                LOG.error("failed to fetch consumer group config by id: {}", consumer.groupId());
                ctx.exit(503, (JsonObject) null);
                return;
            }
            if (consumer.hasPlugins()) {
                // APISIX's merge_consumer_route, cached per (route, consumer); then the rewrite
                // phase of the plugins the route did not have (rewrite_in_consumer)
                Consumers.Merged merged = ctx.consumers().merge(ctx.route(), ctx.plugins(), consumer);
                ctx.route(ctx.route(), merged.plugins());
                if (!merged.added().isEmpty()) {
                    Future<Void> more = PhaseRunner.run(ctx, merged.added(), PluginBinding::rewrite);
                    if (more.isComplete()) {
                        access(ctx, more.cause());
                    } else {
                        more.onComplete(ar -> access(ctx, ar.cause()));
                    }
                    return;
                }
            }
        }
        access(ctx, null);
    }

    private void access(RequestContext ctx, Throwable failure) {
        if (failure != null) {
            fail(ctx, failure, "rewrite");
            return;
        }
        if (ctx.exited()) {
            return;
        }
        Future<Void> access = PhaseRunner.run(ctx, PluginBinding::access);
        if (access.isComplete()) {
            afterAccess(ctx, access.cause());
        } else {
            access.onComplete(ar -> afterAccess(ctx, ar.cause()));
        }
    }

    private void afterAccess(RequestContext ctx, Throwable failure) {
        if (failure != null) {
            fail(ctx, failure, "access");
            return;
        }
        if (ctx.exited()) {
            return;
        }
        List<PluginBinding<?>> plugins = ctx.plugins();
        for (int i = 0; i < plugins.size(); i++) {
            PluginBinding<?> p = plugins.get(i);
            try {
                p.beforeProxy(ctx);
            } catch (RuntimeException e) {
                fail(ctx, new PhaseRunner.PhaseFailure(p.name(), e), "before_proxy");
                return;
            }
            if (ctx.exited()) {
                return;
            }
        }
        UpstreamHandler upstream = ctx.upstream() != null ? ctx.upstream() : ctx.route().upstream();
        if (upstream == null) {
            // APISIX's answer for a route with neither upstream nor a plugin that provides one
            ctx.exitError(503, "missing upstream configuration in Route or Service");
            return;
        }
        ctx.upstream(upstream);
        try {
            upstream.proxy(ctx);
        } catch (RuntimeException e) {
            fail(ctx, e, "proxy");
        }
    }

    private void fail(RequestContext ctx, Throwable failure, String phase) {
        // a body read that a plugin started fails the same way as one the router started
        Throwable cause = failure instanceof PhaseRunner.PhaseFailure pf && pf.getCause() != null ? pf.getCause() : failure;
        if (cause instanceof RequestContext.BodyTooLargeException) {
            ctx.exitError(413, "413 Request Entity Too Large");
            return;
        }
        if (cause instanceof RequestContext.BodyBudgetExceededException) {
            budgetExceeded(ctx);
            return;
        }
        String routeId = ctx.route() == null ? "-" : ctx.route().id();
        if (failure instanceof PhaseRunner.PhaseFailure pf) {
            LOG.error("plugin {} failed in {} phase, route {}, request {}", pf.plugin, phase, routeId,
                    ctx.requestId(), pf.getCause());
        } else {
            LOG.error("request {} on route {} failed{}", ctx.requestId(), routeId,
                    phase == null ? "" : " in " + phase, failure);
        }
        if (ctx.headSent() || ctx.response().ended() || ctx.response().closed()) {
            // too late for an error page: cut the response so the client sees it incomplete
            if (!ctx.response().closed()) {
                ctx.response().reset();
            }
            return;
        }
        ctx.response().headers().clear();
        ctx.exit(500, new JsonObject().put("error_msg", "500 Internal Server Error"));
    }

    /**
     * 503 when the bodies already in memory use the whole budget: the client may retry, the gateway stays
     * up. Logged at most every 10 s, with the count since the start.
     */
    private void budgetExceeded(RequestContext ctx) {
        long now = System.nanoTime();
        long last = lastBudgetWarn;
        if (now - last > 10_000_000_000L) {
            lastBudgetWarn = now;
            LOG.warn("request body buffer budget ({} bytes, apisix.request_body_buffer_budget) spent: {} bodies "
                    + "refused with 503 so far (request {})", bodyBudget.limit(), bodyBudget.rejected(), ctx.requestId());
        }
        ctx.response().headers().set("Retry-After", "1");
        ctx.exitError(503, "503 Service Temporarily Unavailable: too many request bodies are buffered at once, retry later");
    }

    /** A WebSocket session: its relay ends the request when both sides are closed. */
    private static boolean upgraded(RequestContext ctx) {
        return ctx.webSocket() != null && ctx.webSocket().upgraded();
    }

    /** The client went away first: cancel upstream work (which records its times), then log 499. */
    private void clientClosed(RequestContext ctx) {
        if (ctx.endNanos() != 0) {
            return;
        }
        ctx.fireClientClosed();
        finish(ctx, 499);
    }

    private void finish(RequestContext ctx, int status) {
        if (ctx.endNanos() != 0) {
            return;
        }
        ctx.markFinished(status);
        stats.inFlight.decrement();
        ctx.releaseBody();
        for (PluginBinding<?> p : ctx.plugins()) {
            try {
                p.log(ctx);
            } catch (RuntimeException e) {
                LOG.error("plugin {} failed in log phase, request {}", p.name(), ctx.requestId(), e);
            }
        }
        for (RequestLogSink sink : sinks) {
            try {
                sink.log(ctx);
            } catch (RuntimeException e) {
                LOG.error("log sink failed, request {}", ctx.requestId(), e);
            }
        }
    }
}
