package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.HopByHop;
import dev.aigw.gateway.context.NginxTime;
import dev.aigw.gateway.context.ProxyRequest;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.UpstreamVariables;
import dev.aigw.gateway.net.PerEventLoop;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;
import dev.aigw.gateway.upstream.UpstreamDefinition.PassHost;
import dev.aigw.gateway.upstream.health.HealthRegistry;
import dev.aigw.gateway.upstream.health.ProbeCall;
import dev.aigw.gateway.upstream.health.Prober;
import dev.aigw.gateway.upstream.health.TargetHealth;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Vertx;
import dev.aigw.gateway.websocket.WebSocketRelay;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The route's HTTP upstream: picks a node, sends the (possibly rewritten) request with the
 * {@code X-Forwarded-*} headers APISIX adds, streams both bodies with back-pressure and fills the
 * {@code upstream_*} variables.
 *
 * <p>One instance per distinct upstream configuration, created by {@link Upstreams} and shared by
 * every route and event loop using that configuration: it owns the pooled {@link HttpClient} and the
 * balancer state, and keeps nothing per request (that lives in {@link Exchange}).
 *
 * <p>Retries (APISIX's {@code retries}, default nodes − 1, bounded by {@code retry_timeout}) go to
 * another node when no connection could be made, which is always before any request byte was
 * consumed; and, for an idempotent method whose body is in memory or empty, when a pooled connection
 * was closed before the answer started (a stale keep-alive connection).
 *
 * <p>A client going away resets the upstream request (through {@link RequestContext#onClientClose}).
 *
 * <p>With {@code checks}, each node has a {@link TargetHealth} shared through the gateway's
 * {@link HealthRegistry} and one {@link Prober}; a request picks among the healthy nodes only (all of
 * them when none is healthy, as APISIX), and with {@code checks.passive} each answer (or failed try)
 * counts toward its node's health.
 */
public final class HttpUpstream implements UpstreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(HttpUpstream.class);

    private static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
    private static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
    private static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
    private static final CharSequence X_FORWARDED_PORT = HttpHeaders.createOptimized("X-Forwarded-Port");
    private static final CharSequence X_REAL_IP = HttpHeaders.createOptimized("X-Real-IP");

    private static final Buffer BODY_502 = Buffer.buffer("{\"error_msg\":\"failed to connect to upstream\"}\n");
    private static final Buffer BODY_502_BAD = Buffer.buffer("{\"error_msg\":\"invalid response from upstream\"}\n");
    private static final Buffer BODY_NO_NODE = Buffer.buffer("{\"error_msg\":\"no valid upstream node\"}\n");
    private static final Buffer BODY_504 = Buffer.buffer("{\"error_msg\":\"upstream timed out\"}\n");

    private final UpstreamDefinition def;
    /** A pooled client per event loop: a request and its upstream connection stay on one thread. */
    private final PerEventLoop<HttpClient> clients;
    private final Balancer balancer;
    private final SocketAddress[] addresses;
    private final String[] nodeHosts;
    private final String scheme;
    /** Per node, when the upstream has {@code checks}; else null. Set before the handler is published. */
    private TargetHealth[] health;
    private String[] healthKeys;
    private HealthRegistry<TargetHealth> healthRegistry;
    private HttpClient probeHttp;
    private NetClient probeNet;
    private String name;
    private volatile boolean allDownLogged;
    /** The WebSocket client of this upstream, created at its first WebSocket session. */
    private volatile WebSocketClient webSockets;

    HttpUpstream(UpstreamDefinition def, Supplier<HttpClient> client) {
        this.def = def;
        this.clients = new PerEventLoop<>(client, HttpClient::close);
        this.scheme = def.scheme();
        int n = def.nodes().size();
        this.addresses = new SocketAddress[n];
        this.nodeHosts = new String[n];
        for (int i = 0; i < n; i++) {
            Node node = def.nodes().get(i);
            addresses[i] = SocketAddress.inetSocketAddress(node.port(), node.host());
            String h = node.host().indexOf(':') >= 0 ? "[" + node.host() + "]" : node.host();
            // pass_host "node": the node's host, with the port unless it is the scheme's standard one
            nodeHosts[i] = def.standardPort(node.port()) ? h : h + ":" + node.port();
        }
        this.balancer = switch (def.type()) {
            case CHASH -> new ChashBalancer(def.nodes(), def.hashOn(), def.key());
            case ROUNDROBIN -> new RoundRobinBalancer(def.nodes());
            case LEAST_CONN -> new LeastConnBalancer(def.nodes());
            case EWMA -> new EwmaBalancer(def.nodes());
        };
    }

    /** The parsed configuration this handler runs. */
    public UpstreamDefinition definition() {
        return def;
    }

    /**
     * Takes the nodes' shared health state from {@code registry} and starts their probers (one per node,
     * sharing one probe client bounded by {@code checks.active.concurrency}); no-op without {@code checks}.
     *
     * @param identity the upstream's canonical configuration (its identity in {@link Upstreams})
     * @param name     how the healthcheck endpoint names this upstream
     */
    void startHealth(Vertx vertx, HealthRegistry<TargetHealth> registry, String identity, String name) {
        UpstreamDefinition.Checks checks = def.checks();
        this.name = name;
        if (checks == null) {
            return;
        }
        var active = checks.active();
        boolean tcp = "tcp".equals(checks.type());
        if (tcp) {
            probeNet = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) active.timeoutMs()));
        } else {
            HttpClientOptions o = new HttpClientOptions().setConnectTimeout((int) active.timeoutMs())
                    .setKeepAlive(false).setMaxRedirects(0);
            if ("https".equals(checks.type())) {
                o.setSsl(true).setTrustAll(!active.verifyCertificate()).setVerifyHost(active.verifyCertificate());
            }
            probeHttp = vertx.httpClientBuilder().with(o)
                    .with(new PoolOptions().setHttp1MaxSize(active.concurrency())).build();
        }
        // the Host of a probe: checks.active.host, else the rewritten host, else the node's address
        String hostHeader = active.host() != null ? active.host()
                : def.passHost() == PassHost.REWRITE ? def.upstreamHost() : null;
        int n = def.nodes().size();
        TargetHealth[] h = new TargetHealth[n];
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            Node node = def.nodes().get(i);
            int port = active.port() > 0 ? active.port() : node.port();
            String label = "upstream " + name + " node " + node.address();
            keys[i] = identity + "\n" + node.host() + ":" + port;
            ProbeCall call = tcp ? ProbeCall.tcp(probeNet, node.host(), port)
                    : ProbeCall.http(probeHttp, active, node.host(), port, "https".equals(checks.type()), hostHeader);
            h[i] = registry.acquire(keys[i], () -> new TargetHealth(label, active, checks.passive()),
                    th -> new Prober(vertx, th, call, label));
        }
        this.healthKeys = keys;
        this.healthRegistry = registry;
        this.health = h;
    }

    /** Stops this upstream's probers and closes the probe client (the upstream is no longer used). */
    void stopHealth() {
        if (healthKeys != null) {
            for (String k : healthKeys) {
                healthRegistry.release(k);
            }
            healthKeys = null;
        }
        if (probeHttp != null) {
            probeHttp.close();
        }
        if (probeNet != null) {
            probeNet.close();
        }
    }

    /**
     * The nodes' health as the healthcheck endpoint lists it (APISIX's Control API
     * {@code /v1/healthcheck} entry: name, type, nodes with ip, port, hostname, status, counter), or null
     * without {@code checks}.
     */
    JsonObject describeHealth() {
        TargetHealth[] h = health;
        if (h == null) {
            return null;
        }
        UpstreamDefinition.Checks checks = def.checks();
        JsonArray nodes = new JsonArray();
        for (int i = 0; i < h.length; i++) {
            Node node = def.nodes().get(i);
            int port = checks.active().port() > 0 ? checks.active().port() : node.port();
            nodes.add(new JsonObject().put("ip", node.host()).put("port", port)
                    .put("hostname", checks.active().host() != null ? checks.active().host() : node.host())
                    .mergeIn(h[i].describe()));
        }
        return new JsonObject().put("name", name).put("type", checks.type()).put("nodes", nodes);
    }

    @Override
    public void proxy(RequestContext ctx) {
        if (ctx.webSocket() != null) {
            new Exchange(ctx).startWebSocket();
        } else {
            new Exchange(ctx).start();
        }
    }

    /** The shared WebSocket client (ws for an http upstream, wss for https), created once. */
    private WebSocketClient webSockets(RequestContext ctx) {
        WebSocketClient c = webSockets;
        if (c == null) {
            synchronized (this) {
                c = webSockets;
                if (c == null) {
                    c = WebSocketRelay.client(ctx.vertx(), ctx.webSocket().maxMessageSize(), def.timeout().connectMs(),
                            "https".equals(scheme), def.tlsVerify());
                    webSockets = c;
                }
            }
        }
        return c;
    }

    /** Closes the clients after {@code graceMs} (sessions still open by then are cut). */
    Future<Void> shutdown(long graceMs) {
        WebSocketClient ws = webSockets;
        List<Future<Void>> all = new ArrayList<>();
        for (HttpClient c : clients.drain()) {
            all.add(c.shutdown(graceMs, TimeUnit.MILLISECONDS));
        }
        if (ws != null) {
            all.add(ws.shutdown(graceMs, TimeUnit.MILLISECONDS));
        }
        return Future.join(all).mapEmpty();
    }

    /** Closes the clients now. */
    Future<Void> close() {
        WebSocketClient ws = webSockets;
        List<Future<Void>> all = new ArrayList<>();
        for (HttpClient c : clients.drain()) {
            all.add(c.close());
        }
        if (ws != null) {
            all.add(ws.close());
        }
        return Future.join(all).mapEmpty();
    }

    /** True for failures that mean "no connection could be made" (retryable, 502 unless a timeout). */
    static boolean isTimeout(Throwable t) {
        return t instanceof TimeoutException || t instanceof ConnectTimeoutException
                || t instanceof io.netty.handler.timeout.TimeoutException
                || (t.getMessage() != null && t.getMessage().contains("timed out"));
    }

    /** One request through this upstream: retry state, the current upstream request, timings. */
    private final class Exchange {
        private final RequestContext ctx;
        private final HttpServerRequest in;
        private final HttpServerResponse out;
        private final ProxyRequest pr;
        private final long startNanos = System.nanoTime();
        private final Balancer.Tries tries;
        private int attempts;
        private int node = -1;
        /** The balancer picked {@link #node} and has not been told the try is over. */
        private boolean holding;
        private long attemptNanos;
        private HttpClientRequest upstreamReq;
        /** True once a byte of the client's streamed body was read: no retry after that. */
        private boolean bodyConsumed;
        private boolean responseStarted;
        private boolean done;
        private StringBuilder addrs;

        Exchange(RequestContext ctx) {
            this.ctx = ctx;
            this.in = ctx.request();
            this.out = ctx.response();
            this.pr = ctx.proxyRequest();
            this.tries = def.nodes().size() > 1 ? new Balancer.Tries(def.nodes().size()) : null;
        }

        void start() {
            // the client going away aborts the upstream exchange (frees the upstream's work and our pool slot)
            ctx.onClientClose(this::clientGone);
            ctx.setVar(UpstreamVariables.SCHEME, scheme);
            ctx.setVar(UpstreamVariables.URI, pr.uri());
            attempt();
        }

        /**
         * A WebSocket upgrade: one node (no retries: the session is the unit of work), the same headers
         * as an HTTP request (pass_host, X-Forwarded-*) minus the client's handshake headers, which the
         * gateway's own handshake with the upstream replaces.
         */
        void startWebSocket() {
            ctx.setVar(UpstreamVariables.SCHEME, scheme);
            ctx.setVar(UpstreamVariables.URI, pr.uri());
            node = def.nodes().size() == 1 ? 0 : balancer.pick(ctx, tries);
            if (node < 0) {
                fail(502, BODY_NO_NODE, "no valid upstream node", null);
                return;
            }
            holding = def.nodes().size() > 1;
            Node n = def.nodes().get(node);
            ctx.setVar(UpstreamVariables.ADDR, n.address());
            attemptNanos = System.nanoTime();
            MultiMap h = MultiMap.caseInsensitiveMultiMap();
            for (Map.Entry<String, String> e : pr.headers()) {
                String name = e.getKey();
                if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("x-forwarded-for")
                        && !name.equalsIgnoreCase("content-length") && !isHandshakeHeader(name)) {
                    h.add(name, e.getValue());
                }
            }
            String host = hostHeader();
            if (host != null) {
                h.set(HttpHeaders.HOST, host);
                ctx.setVar(UpstreamVariables.HOST, host);
            }
            addForwarded(h);
            WebSocketConnectOptions opts = new WebSocketConnectOptions()
                    .setServer(addresses[node])
                    .setHost(n.host())
                    .setPort(n.port())
                    .setSsl("https".equals(scheme))
                    .setURI(pr.uri())
                    .setConnectTimeout(def.timeout().connectMs())
                    .setTimeout(def.timeout().connectMs() + def.timeout().readMs());
            opts.setHeaders(h);
            WebSocketRelay.proxy(ctx, webSockets(ctx), opts, def.timeout().readMs(), null, () -> release(false));
        }

        private void attempt() {
            if (attempts == 0 && health != null && tries != null) {
                tries.skip = unhealthyNodes(health);
            }
            node = def.nodes().size() == 1 ? 0 : balancer.pick(ctx, tries);
            if (node < 0) {
                fail(502, BODY_NO_NODE, "no valid upstream node", null);
                return;
            }
            attempts++;
            holding = def.nodes().size() > 1;
            String addr = def.nodes().get(node).address();
            if (addrs == null) {
                addrs = new StringBuilder(addr);
            } else {
                addrs.append(", ").append(addr);
            }
            ctx.setVar(UpstreamVariables.ADDR, addrs.toString());
            attemptNanos = System.nanoTime();
            RequestOptions opts = new RequestOptions()
                    .setServer(addresses[node])
                    .setMethod(pr.method())
                    .setURI(pr.uri())
                    .setFollowRedirects(false);
            // a request still running after the upstream was retired gets a closed client, and fails
            clients.get().request(opts).onComplete(this::connected);
        }

        private void connected(AsyncResult<HttpClientRequest> ar) {
            if (done) {
                if (ar.succeeded()) {
                    ar.result().reset();
                }
                return;
            }
            if (ar.failed()) {
                failedBeforeResponse(ar.cause(), true);
                return;
            }
            HttpClientRequest req = ar.result();
            upstreamReq = req;
            MultiMap h = req.headers();
            String host = hostHeader();
            for (Map.Entry<String, String> e : pr.headers()) {
                String name = e.getKey();
                if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("x-forwarded-for")
                        && !name.equalsIgnoreCase("content-length")) {
                    h.add(name, e.getValue());
                }
            }
            if (host != null) {
                h.set(HttpHeaders.HOST, host);
                ctx.setVar(UpstreamVariables.HOST, host);
            }
            addForwarded(h);
            req.idleTimeout(def.timeout().readMs());
            // callbacks of a request abandoned for a retry must not act on the exchange any more
            req.exceptionHandler(err -> {
                if (upstreamReq == req) {
                    upstreamError(err);
                }
            });
            req.response().onComplete(r -> {
                if (upstreamReq == req) {
                    responded(r);
                } else if (r.succeeded()) {
                    req.reset();
                }
            });
            sendBody(req);
        }

        /** Host per {@code pass_host}, unless a plugin chose one ({@code proxyRequest().host()}). */
        private String hostHeader() {
            String forced = pr.host();
            if (forced != null) {
                return forced;
            }
            PassHost mode = def.passHost();
            if (mode == PassHost.NODE) {
                return nodeHosts[node];
            }
            if (mode == PassHost.REWRITE) {
                return def.upstreamHost();
            }
            String h = pr.headers().get(HttpHeaders.HOST);
            if (h == null && in.authority() != null) {
                h = in.authority().toString();
            }
            return h;
        }

        /**
         * As APISIX's nginx template: X-Real-IP is the client address; X-Forwarded-For appends it to the
         * incoming chain; X-Forwarded-Proto/Host/Port are what this hop observed (a client's own values are
         * replaced, a plugin's values are kept).
         */
        private void addForwarded(MultiMap h) {
            String remote = ctx.varString("remote_addr");
            if (remote == null && in.remoteAddress() != null) {
                remote = in.remoteAddress().hostAddress();
            }
            if (remote != null) {
                h.set(X_REAL_IP, remote);
                String xff = pr.headers().get(X_FORWARDED_FOR);
                h.set(X_FORWARDED_FOR, xff == null || xff.isEmpty() ? remote : xff + ", " + remote);
            }
            String clientHost = in.getHeader(HttpHeaders.HOST);
            if (clientHost == null && in.authority() != null) {
                clientHost = in.authority().toString();
            }
            observed(h, X_FORWARDED_PROTO, in.isSSL() ? "https" : "http");
            if (clientHost != null) {
                observed(h, X_FORWARDED_HOST, clientHost);
            }
            observed(h, X_FORWARDED_PORT, forwardedPort(clientHost));
        }

        private void observed(MultiMap h, CharSequence name, String value) {
            String sent = pr.headers().get(name);
            // unchanged from what the client sent (or absent): the client is not trusted, use ours
            if (sent == null || sent.equals(in.getHeader(name))) {
                h.set(name, value);
            }
        }

        private String forwardedPort(String clientHost) {
            if (clientHost != null) {
                int colon = clientHost.lastIndexOf(':');
                if (colon > 0 && colon > clientHost.lastIndexOf(']') && colon + 1 < clientHost.length()) {
                    String p = clientHost.substring(colon + 1);
                    boolean digits = true;
                    for (int i = 0; i < p.length(); i++) {
                        digits &= Character.isDigit(p.charAt(i));
                    }
                    if (digits) {
                        return p;
                    }
                }
            }
            SocketAddress local = in.localAddress();
            return local == null ? "" : Integer.toString(local.port());
        }

        private void sendBody(HttpClientRequest req) {
            Buffer body = ctx.body();
            if (body != null) {
                // read into memory (and maybe rewritten by a plugin): its length is authoritative
                if (body.length() > 0 || pr.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                    req.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
                }
                req.end(body);
                req.idleTimeout(def.timeout().readMs());
                return;
            }
            if (ctx.bodyRequested()) {
                // a plugin started reading the body but it is not there: never stream a half-consumed body
                fail(500, BODY_502_BAD, "request body not available", null);
                return;
            }
            String cl = in.getHeader(HttpHeaders.CONTENT_LENGTH);
            boolean chunked = in.headers().contains(HttpHeaders.TRANSFER_ENCODING);
            boolean http1 = in.version() != HttpVersion.HTTP_2;
            boolean noBody = in.isEnded() || (http1 && !chunked && (cl == null || "0".equals(cl.trim())));
            if (noBody) {
                if (cl != null) {
                    req.putHeader(HttpHeaders.CONTENT_LENGTH, "0");
                }
                req.end();
                in.resume(); // let the codec consume the (empty) end of the request
                return;
            }
            if (cl != null && !chunked) {
                req.putHeader(HttpHeaders.CONTENT_LENGTH, cl.trim());
            } else {
                req.setChunked(true);
            }
            pipe(req);
        }

        /** Client body → upstream, pausing the client while the upstream's write queue is full. */
        private void pipe(HttpClientRequest req) {
            in.handler(chunk -> {
                bodyConsumed = true;
                if (done) {
                    return;
                }
                req.write(chunk);
                if (req.writeQueueFull()) {
                    Backpressure.pauseUntilDrained(in, req, () -> done);
                }
            });
            in.endHandler(v -> {
                if (!done) {
                    req.end();
                }
            });
            in.exceptionHandler(err -> abort());
            in.resume();
        }

        private void responded(AsyncResult<HttpClientResponse> ar) {
            if (done) {
                return;
            }
            if (ar.failed()) {
                failedBeforeResponse(ar.cause(), false);
                return;
            }
            HttpClientResponse resp = ar.result();
            responseStarted = true;
            int status = resp.statusCode();
            if (health != null) {
                health[node].reportStatus(status);
            }
            ctx.setVar(UpstreamVariables.STATUS, Integer.toString(status));
            if (attemptNanos != 0) {
                // nginx's $upstream_header_time; its presence also tells that the answer is the upstream's
                ctx.setVar(UpstreamVariables.HEADER_TIME, NginxTime.seconds3((System.nanoTime() - attemptNanos) / 1_000_000));
            }
            MultiMap target = out.headers();
            for (Map.Entry<String, String> e : resp.headers()) {
                if (!HopByHop.is(e.getKey())) {
                    target.add(e.getKey(), e.getValue());
                }
            }
            out.setStatusMessage(resp.statusMessage());
            ctx.sendHead(status);
            if (!target.contains(HttpHeaders.CONTENT_LENGTH) && in.version() != HttpVersion.HTTP_2
                    && in.method() != HttpMethod.HEAD && status != 204 && status != 304) {
                out.setChunked(true);
            }
            resp.handler(chunk -> {
                if (done) {
                    return;
                }
                ctx.write(chunk);
                if (out.writeQueueFull()) {
                    Backpressure.pauseUntilDrained(resp, out, () -> done);
                }
            });
            resp.exceptionHandler(err -> {
                if (done) {
                    return;
                }
                // head already sent: the only honest signal left is to break the client's response
                LOG.error("upstream {} of route {} failed mid-response: {}", currentAddr(), routeId(), describe(err));
                recordTime();
                done = true;
                out.reset();
            });
            resp.endHandler(v -> {
                if (done) {
                    return;
                }
                done = true;
                recordTime();
                ctx.end(null);
            });
        }

        private void failedBeforeResponse(Throwable cause, boolean connectPhase) {
            if (done) {
                return;
            }
            boolean timeout = isTimeout(cause);
            if (health != null && node >= 0) {
                health[node].reportFailure(timeout);
            }
            boolean canRetry = connectPhase
                    || (!timeout && !bodyConsumed && cause instanceof HttpClosedException
                        && isIdempotent(pr.method()) && (ctx.body() != null || !streamedBody()));
            if (canRetry && tries != null && attempts <= def.retries() && withinRetryTimeout()) {
                release(true);
                tries.mark(node);
                ctx.setVar(UpstreamVariables.STATUS, appendStatus(timeout ? "504" : "502"));
                LOG.warn("upstream {} of route {} failed, trying the next node: {}", currentAddr(), routeId(),
                        describe(cause));
                upstreamReq = null;
                attempt();
                return;
            }
            recordTime();
            if (timeout) {
                fail(504, BODY_504, "upstream timed out", cause);
            } else if (connectPhase || cause instanceof ConnectException) {
                fail(502, BODY_502, "failed to connect to upstream", cause);
            } else {
                fail(502, BODY_502_BAD, "invalid response from upstream", cause);
            }
        }

        private boolean streamedBody() {
            return upstreamReq != null && upstreamReq.isChunked()
                    || (in.getHeader(HttpHeaders.CONTENT_LENGTH) != null && !"0".equals(in.getHeader(HttpHeaders.CONTENT_LENGTH)));
        }

        private String appendStatus(String s) {
            String prev = ctx.varString(UpstreamVariables.STATUS);
            return prev == null ? s : prev + ", " + s;
        }

        private boolean withinRetryTimeout() {
            return def.retryTimeoutMs() <= 0 || (System.nanoTime() - startNanos) / 1_000_000 < def.retryTimeoutMs();
        }

        private void upstreamError(Throwable err) {
            // request-side failures surface through response() as well; only log here once finished
            if (responseStarted || done) {
                return;
            }
            failedBeforeResponse(err, false);
        }

        private void fail(int status, Buffer body, String what, Throwable cause) {
            if (done) {
                return;
            }
            release(false);
            done = true;
            if (upstreamReq != null) {
                upstreamReq.reset();
            }
            if (node >= 0) {
                ctx.setVar(UpstreamVariables.STATUS, appendStatus(Integer.toString(status)));
            }
            if (cause != null) {
                LOG.error("{} for route {}, upstream {}: {}", what, routeId(), currentAddr(), describe(cause));
            } else {
                LOG.error("{} for route {}", what, routeId());
            }
            if (out.ended() || out.closed() || ctx.ended()) {
                return;
            }
            if (ctx.headSent()) {
                out.reset();
                return;
            }
            out.headers().clear();
            out.headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
            ctx.sendHead(status);
            ctx.end(body.copy());
        }

        private void clientGone() {
            if (done) {
                return;
            }
            done = true;
            recordTime();
            abort();
        }

        private void abort() {
            done = true;
            release(false);
            HttpClientRequest req = upstreamReq;
            if (req != null) {
                req.reset();
            }
        }

        /** Tells the balancer the try on {@link #node} is over (once per pick). */
        private void release(boolean retrying) {
            if (holding) {
                holding = false;
                balancer.finished(node, System.nanoTime() - attemptNanos, retrying);
            }
        }

        private void recordTime() {
            if (attemptNanos == 0) {
                return;
            }
            release(false);
            long nanos = System.nanoTime() - attemptNanos;
            long ms = nanos / 1_000_000;
            ctx.setVar(UpstreamVariables.RESPONSE_TIME, NginxTime.seconds3(ms));
            ctx.setVar(UpstreamVariables.APISIX_RESPONSE_TIME, ms);
        }

        private String currentAddr() {
            return node < 0 ? "-" : def.nodes().get(node).address();
        }

        private String routeId() {
            return ctx.route() == null ? "-" : ctx.route().id();
        }
    }

    /**
     * The nodes a request must not pick: those a check took out, unless no node with a weight is healthy
     * (then APISIX uses them all: "all upstream nodes is unhealthy, use default"). Null when none is out,
     * so the common case allocates nothing.
     */
    private boolean[] unhealthyNodes(TargetHealth[] h) {
        // one read of each node's state: another event loop may flip one meanwhile, and two reads
        // could find a node up when counting and down when skipping (every node skipped: a 502)
        boolean[] skip = new boolean[h.length];
        boolean anyOut = false;
        boolean anyIn = false;
        for (int i = 0; i < h.length; i++) {
            skip[i] = !h[i].healthy();
            if (def.nodes().get(i).weight() > 0) {
                if (skip[i]) {
                    anyOut = true;
                } else {
                    anyIn = true;
                }
            }
        }
        if (!anyOut) {
            allDownLogged = false;
            return null;
        }
        if (!anyIn) {
            if (!allDownLogged) {
                allDownLogged = true; // once per outage, not once per request
                LOG.warn("all upstream nodes of {} are unhealthy, using all of them", name);
            }
            return null;
        }
        allDownLogged = false;
        return skip;
    }

    /** The client's own handshake headers: the gateway's handshake with the upstream sets its own. */
    private static boolean isHandshakeHeader(String name) {
        return name.regionMatches(true, 0, "sec-websocket-", 0, 14);
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.PUT || m == HttpMethod.DELETE
                || m == HttpMethod.OPTIONS || m == HttpMethod.TRACE;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
