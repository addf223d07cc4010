package dev.aigw.plugins.aiproxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.aigw.gateway.context.HopByHop;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.net.PerEventLoop;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.translator.TranslationException;
import dev.aigw.plugins.aiproxy.translator.Translator;
import dev.aigw.plugins.aiproxy.translator.Translators;
import dev.aigw.plugins.aiproxy.provider.AiProvider;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Performs calls to providers for one parsed plugin configuration, over one pooled Vert.x HTTP
 * client created on first use (options from {@link TransportOptions}) and closed by {@link #close}.
 *
 * <p>{@link #send} builds the provider request from an {@link AiInstance} and the client's
 * {@link AiRequest}, sends it, and yields an {@link AiAttempt} as soon as the provider's status and
 * headers arrive, before anything is written to the client: a caller such as ai-proxy-multi may look
 * at the status and {@link AiAttempt#discard() discard} it to try another instance, or
 * {@link AiAttempt#relay() relay} it. A failure is an {@link AiCallException} (400 bad request,
 * 500, 502 unreachable, 504 timeout).
 *
 * <p>Thread-safe: one executor serves every event loop.
 */
public final class AiExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(AiExecutor.class);
    /** Jackson's streaming writer, for the request body sent to the provider. */
    private static final JsonFactory JSON = new JsonFactory();

    /** The client's own credentials never reach the provider: the configured auth does. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "accept-encoding",
            "content-type", "authorization", "api-key", "x-api-key", "x-goog-api-key", "proxy-authorization");

    /** Query parameters that carry a client's key (Gemini's {@code key}, Azure's {@code api-key} …): not passed through. */
    private static final Set<String> QUERY_CREDENTIALS = Set.of("key", "api_key", "api-key", "apikey", "access_token");

    private final TransportOptions transport;
    private volatile PerEventLoop<HttpClient> clients;
    private io.vertx.core.http.WebSocketClient webSockets;
    private volatile boolean closed;

    private final boolean clientCall;

    public AiExecutor(TransportOptions transport) {
        this(transport, true);
    }

    /**
     * @param clientCall true when the calls are the client's own (ai-proxy, ai-proxy-multi); false for
     *                   a plugin's side call (ai-request-rewrite), which, as in APISIX 3.18, sends
     *                   none of the client's headers to the provider and leaves the request's
     *                   variables ({@code llm_*}, {@code upstream_*}) alone
     */
    public AiExecutor(TransportOptions transport, boolean clientCall) {
        this.transport = transport;
        this.clientCall = clientCall;
    }

    /** Whether the calls are the client's own (their results are the request's variables). */
    boolean clientCall() {
        return clientCall;
    }

    public TransportOptions transport() {
        return transport;
    }

    /**
     * The calling event loop's pooled client, created on its first use there (see {@link PerEventLoop}:
     * a call and its provider connection stay on one thread).
     */
    public HttpClient client(Vertx vertx) {
        PerEventLoop<HttpClient> c = clients;
        if (c == null) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("ai-proxy configuration released");
                }
                if (clients == null) {
                    clients = new PerEventLoop<>(() -> newClient(vertx), HttpClient::close);
                }
                c = clients;
            }
        }
        HttpClient h = c.get(); // after close(), closed at once by PerEventLoop
        if (closed) {
            throw new IllegalStateException("ai-proxy configuration released");
        }
        return h;
    }

    private HttpClient newClient(Vertx vertx) {
        HttpClientOptions o = new HttpClientOptions()
                .setKeepAlive(transport.keepalive())
                .setKeepAliveTimeout((int) Math.max(1, transport.keepaliveTimeoutMs() / 1000))
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, transport.timeoutMs()))
                .setTrustAll(!transport.sslVerify())
                .setVerifyHost(transport.sslVerify());
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(transport.keepalivePool());
        return vertx.createHttpClient(o, pool);
    }

    /** The WebSocket client of the Realtime API, created at the first session. */
    public synchronized io.vertx.core.http.WebSocketClient webSocketClient(Vertx vertx, int maxMessageSize) {
        if (webSockets == null) {
            if (closed) {
                throw new IllegalStateException("ai-proxy configuration released");
            }
            webSockets = dev.aigw.gateway.websocket.WebSocketRelay.client(vertx, maxMessageSize,
                    transport.timeoutMs(), true, transport.sslVerify());
        }
        return webSockets;
    }

    /** Closes the pooled clients (in-flight calls and Realtime sessions are cut). Idempotent. */
    public void close() {
        PerEventLoop<HttpClient> c;
        io.vertx.core.http.WebSocketClient ws;
        synchronized (this) {
            closed = true;
            c = clients;
            ws = webSockets;
            webSockets = null;
        }
        if (c != null) {
            c.drain().forEach(HttpClient::close);
        }
        if (ws != null) {
            ws.close();
        }
    }

    /** True for a client header that must not reach the provider (the client's own credentials, framing). */
    static boolean notForwarded(String lowerCaseName) {
        return NOT_FORWARDED.contains(lowerCaseName) || HopByHop.is(lowerCaseName);
    }

    /** True for a query parameter that carries a client's key. */
    static boolean queryCredential(String name) {
        return QUERY_CREDENTIALS.contains(name.toLowerCase(Locale.ROOT));
    }

    /** The request as it goes out, before auth tokens are added. */
    private record Outgoing(RequestOptions options, Buffer body, Translator translator, String model,
                            String scheme, String host, int port, String path) {
    }

    /** {@link #send(AiInstance, RequestContext, AiRequest, String)} with the instance's own model choice. */
    public Future<AiAttempt> send(AiInstance inst, RequestContext ctx, AiRequest req) {
        return send(inst, ctx, req, null);
    }

    /**
     * Sends one call. Sets {@code llm_model}, {@code upstream_scheme}, {@code upstream_host} and
     * {@code upstream_uri} before sending; the returned attempt sets {@code upstream_addr} and
     * {@code upstream_status}. Completes on the request's event loop.
     *
     * @param model the model to send (ai-proxy-multi's model routing), or null for {@code options.model}
     *              or else the client's
     */
    public Future<AiAttempt> send(AiInstance inst, RequestContext ctx, AiRequest req, String model) {
        Outgoing out;
        try {
            out = prepare(inst, ctx, req, model);
        } catch (AiCallException e) {
            return Future.failedFuture(e);
        }
        // the Host header the provider gets: with the port unless it is the scheme's default
        boolean defaultPort = out.port() == ("https".equals(out.scheme()) ? 443 : 80);
        String hostHeader = defaultPort ? out.host() : out.host() + ":" + out.port();
        if (clientCall) {
            if (out.model() != null) {
                ctx.setVar(AiVars.LLM_MODEL, out.model());
            }
            ctx.setVar(AiVars.UPSTREAM_SCHEME, out.scheme());
            ctx.setVar(AiVars.UPSTREAM_HOST, hostHeader);
            ctx.setVar(AiVars.UPSTREAM_URI, out.path());
        }

        HttpClient c;
        try {
            c = client(ctx.vertx());
        } catch (IllegalStateException e) {
            return Future.failedFuture(new AiCallException(503, "route is being reconfigured"));
        }
        Future<String> token = inst.gcp() == null
                ? Future.succeededFuture(null)
                : inst.gcp().token(ctx.vertx(), c, transport.timeoutMs()).recover(err -> {
                    LOG.error("ai-proxy {}: failed to get gcp access token: {}", inst.name(), err.getMessage());
                    return Future.failedFuture(new AiCallException(500, "failed to get gcp access token"));
                });
        return token.compose(tok -> {
            if (tok != null) {
                out.options().getHeaders().set("Authorization", "Bearer " + tok);
            }
            if (inst.aws() != null) {
                // signed last: over the final headers and bytes
                inst.aws().sign(out.options().getMethod().name(), hostHeader, out.options().getURI(),
                        out.options().getHeaders(), out.body().getBytes(), java.time.Instant.now());
            }
            long t0 = System.nanoTime();
            return c.request(out.options())
                    .compose(upReq -> {
                        // a client that leaves while we wait for the provider cancels the call
                        ctx.onClientClose(upReq::reset);
                        return upReq.send(out.body()).map(resp -> {
                            resp.pause(); // the body is read by relay(), possibly after a failover decision
                            return new AiAttempt(this, inst, ctx, req, upReq, resp, t0, out.translator());
                        });
                    })
                    .recover(err -> {
                        if (err instanceof AiCallException) {
                            return Future.failedFuture(err);
                        }
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        ctx.setVar(AiVars.APISIX_UPSTREAM_RESPONSE_TIME, ms);
                        ctx.setVar(AiVars.UPSTREAM_ADDR, out.host() + ":" + out.port());
                        if (ctx.response().closed()) {
                            LOG.info("ai-proxy {}: client went away before the LLM server answered", inst.name());
                            return Future.failedFuture(new AiCallException(499, "client closed the connection"));
                        }
                        AiCallException e = AiCallException.transport(err);
                        ctx.setVar(AiVars.UPSTREAM_STATUS, e.status());
                        LOG.error("ai-proxy {}: {} {}://{}:{}{}: {}", inst.name(), e.getMessage(), out.scheme(),
                                out.host(), out.port(), out.path(), err.getClass().getSimpleName());
                        return Future.failedFuture(e);
                    });
        });
    }

    /**
     * The body to send, encoded into a buffer sized from the client's body (the translated body is
     * about as large): Vert.x's {@code toBuffer} starts small and doubles, copying as it grows.
     */
    static Buffer encode(JsonObject body, int sizeHint) {
        Buffer out = Buffer.buffer(Math.max(256, sizeHint + (sizeHint >> 4) + 64));
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
                out.appendByte((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                out.appendBytes(b, off, len);
            }
        };
        try (JsonGenerator g = JSON.createGenerator(sink)) {
            JacksonCodec.encodeJson(body, g);
        } catch (IOException e) {
            throw new EncodeException(e.getMessage(), e);
        }
        return out;
    }

    /**
     * APISIX 3.18's request-side observability variables, from the body the provider receives:
     * {@code llm_tool_count} (its {@code tools}) and {@code llm_end_user_id} (OpenAI's
     * {@code safety_identifier} or {@code user}, Anthropic's {@code metadata.user_id}).
     */
    static void requestFacts(RequestContext ctx, AiProtocol target, JsonObject body) {
        Object tools = body.getValue("tools");
        ctx.setVar(AiVars.LLM_TOOL_COUNT, tools instanceof io.vertx.core.json.JsonArray a ? (long) a.size() : 0L);
        Object user = switch (target) {
            case CHAT, RESPONSES -> body.getValue("safety_identifier") instanceof String s ? s : body.getValue("user");
            case ANTHROPIC_MESSAGES -> body.getValue("metadata") instanceof JsonObject m ? m.getValue("user_id") : null;
            default -> null;
        };
        ctx.setVar(AiVars.LLM_END_USER_ID, user instanceof String s ? s : null);
    }

    private Outgoing prepare(AiInstance inst, RequestContext ctx, AiRequest req, String mappedModel) {
        AiProvider provider = inst.provider();
        Translator tr;
        try {
            tr = Translators.pick(req.protocol(), provider, inst.providerConf());
        } catch (TranslationException e) {
            throw new AiCallException(e.status(), e.getMessage());
        }
        String model = mappedModel != null ? mappedModel
                : inst.optionsModel() != null ? inst.optionsModel() : req.clientModel();
        boolean passthrough = tr.target() == AiProtocol.PASSTHROUGH;

        Buffer bytes = null;
        if (req.body() != null && !passthrough) {
            // shallow: only top-level keys change here; the client's body stays as it was, for
            // failover and the loggers (translators copy what they change below the top level)
            JsonObject body = new JsonObject(new java.util.LinkedHashMap<>(req.body().getMap()));
            for (Map.Entry<String, Object> e : inst.options()) {
                Object v = e.getValue();
                body.put(e.getKey(), v instanceof JsonObject o ? o.copy()
                        : v instanceof io.vertx.core.json.JsonArray a ? a.copy() : v);
            }
            if (model != null) {
                body.put("model", model);
            }
            JsonObject sent;
            try {
                sent = tr.request(body, req.clientAskedUsage());
            } catch (TranslationException e) {
                throw new AiCallException(e.status(), e.getMessage());
            }
            if (sent != null) {
                inst.bodyOverride().apply(provider, tr.target(), sent);
                if (clientCall) {
                    requestFacts(ctx, tr.target(), sent);
                }
                provider.rewriteBody(tr.target(), sent);
                bytes = encode(sent, req.body() == null ? 0 : ctx.bodyLengthHint());
            }
        } else if (passthrough && req.body() != null && inst.bodyOverride().patching(AiProtocol.PASSTHROUGH)) {
            // a passthrough body is sent as it came, unless a request_body.passthrough patch applies
            JsonObject sent = new JsonObject(new java.util.LinkedHashMap<>(req.body().getMap()));
            inst.bodyOverride().apply(provider, AiProtocol.PASSTHROUGH, sent);
            bytes = encode(sent, ctx.bodyLengthHint());
        }
        if (bytes == null) {
            bytes = ctx.body() == null ? Buffer.buffer() : ctx.body();
        }

        Endpoint ep = inst.endpoint();
        String path = passthrough ? passthroughPath(ctx.request().path()) : ep != null ? ep.path() : null;
        if (path == null) {
            path = provider.path(tr.target(), inst.providerConf(), model, req.stream());
            if (path == null) {
                throw new AiCallException(400, "could not resolve upstream path: ensure the route or request "
                        + "body specifies a model, or that override.endpoint includes a path");
            }
        }
        boolean ssl = ep == null || ep.ssl();
        String host = ep != null ? ep.host() : provider.host(inst.providerConf());
        int port = ep != null ? ep.port() : 443;

        StringBuilder query = new StringBuilder();
        if (passthrough && ctx.request().query() != null) {
            // passthrough keeps the client's query, minus credentials (as the client's auth headers)
            for (String pair : ctx.request().query().split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                if (pair.isEmpty() || QUERY_CREDENTIALS.contains(k.toLowerCase(Locale.ROOT))
                        || inst.authQuery().containsKey(k)) {
                    continue;
                }
                if (query.length() > 0) {
                    query.append('&');
                }
                query.append(pair);
            }
        }
        Set<String> endpointKeys = new HashSet<>();
        if (ep != null && ep.rawQuery() != null) {
            if (query.length() > 0) {
                query.append('&');
            }
            query.append(ep.rawQuery());
            for (String pair : ep.rawQuery().split("&")) {
                int eq = pair.indexOf('=');
                endpointKeys.add(eq < 0 ? pair : pair.substring(0, eq));
            }
        }
        for (Map.Entry<String, String> q : inst.authQuery().entrySet()) {
            String k = URLEncoder.encode(q.getKey(), StandardCharsets.UTF_8);
            if (endpointKeys.contains(k)) {
                continue; // the endpoint's own query wins, as in APISIX
            }
            if (query.length() > 0) {
                query.append('&');
            }
            query.append(k).append('=').append(URLEncoder.encode(q.getValue(), StandardCharsets.UTF_8));
        }

        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> h : clientCall ? ctx.proxyRequest().headers()
                : MultiMap.caseInsensitiveMultiMap()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(name) && !HopByHop.is(name)) {
                headers.add(h.getKey(), h.getValue());
            }
        }
        for (Map.Entry<String, String> h : inst.authHeaders().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
        String ct = ctx.request().getHeader("Content-Type");
        if (!passthrough) {
            headers.set("Content-Type", "application/json");
        } else if (ct != null) {
            headers.set("Content-Type", ct);
        }
        tr.headers(headers);

        RequestOptions ro = new RequestOptions()
                .setMethod(passthrough ? ctx.request().method() : HttpMethod.POST)
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(query.length() == 0 ? path : path + "?" + query)
                .setHeaders(headers)
                .setConnectTimeout(transport.timeoutMs())
                .setIdleTimeout(transport.timeoutMs());
        return new Outgoing(ro, bytes, tr, model, ssl ? "https" : "http", host, port, path);
    }

    /**
     * The provider path of a passthrough call: the client's path from its last {@code /v1/} on
     * (a route's own prefix, such as {@code /anthropic/v1/models}, is not the provider's), else the
     * whole client path.
     */
    static String passthroughPath(String clientPath) {
        int i = clientPath.lastIndexOf("/v1/");
        return i > 0 ? clientPath.substring(i) : clientPath;
    }
}
