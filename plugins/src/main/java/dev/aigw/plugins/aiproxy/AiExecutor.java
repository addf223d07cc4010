package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.HopByHop;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.VertexPredict;
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
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /** The client's own credentials never reach the provider: the configured auth does. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "accept-encoding",
            "content-type", "authorization", "api-key", "x-api-key", "x-goog-api-key", "proxy-authorization");

    private final TransportOptions transport;
    private HttpClient client;
    private boolean closed;

    public AiExecutor(TransportOptions transport) {
        this.transport = transport;
    }

    public TransportOptions transport() {
        return transport;
    }

    /** The pooled client, created on first use. */
    public synchronized HttpClient client(Vertx vertx) {
        if (client == null) {
            if (closed) {
                throw new IllegalStateException("ai-proxy configuration released");
            }
            HttpClientOptions o = new HttpClientOptions()
                    .setKeepAlive(transport.keepalive())
                    .setKeepAliveTimeout((int) Math.max(1, transport.keepaliveTimeoutMs() / 1000))
                    .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, transport.timeoutMs()))
                    .setTrustAll(!transport.sslVerify())
                    .setVerifyHost(transport.sslVerify());
            PoolOptions pool = new PoolOptions().setHttp1MaxSize(transport.keepalivePool());
            client = vertx.createHttpClient(o, pool);
        }
        return client;
    }

    /** Closes the pooled client (in-flight calls are cut). Idempotent. */
    public void close() {
        HttpClient c;
        synchronized (this) {
            closed = true;
            c = client;
            client = null;
        }
        if (c != null) {
            c.close();
        }
    }

    /** The request as it goes out, before auth tokens are added. */
    private record Outgoing(RequestOptions options, Buffer body, String model, boolean usageInjected,
                            boolean vertexEmbeddings, String scheme, String host, int port, String path) {
    }

    /**
     * Sends one call. Sets {@code llm_model}, {@code upstream_scheme}, {@code upstream_host} and
     * {@code upstream_uri} before sending; the returned attempt sets {@code upstream_addr} and
     * {@code upstream_status}. Completes on the request's event loop.
     */
    public Future<AiAttempt> send(AiInstance inst, RequestContext ctx, AiRequest req) {
        Outgoing out;
        try {
            out = prepare(inst, ctx, req);
        } catch (AiCallException e) {
            return Future.failedFuture(e);
        }
        if (out.model() != null) {
            ctx.setVar(AiVars.LLM_MODEL, out.model());
        }
        ctx.setVar(AiVars.UPSTREAM_SCHEME, out.scheme());
        // the Host header the provider gets: with the port unless it is the scheme's default
        boolean defaultPort = out.port() == ("https".equals(out.scheme()) ? 443 : 80);
        ctx.setVar(AiVars.UPSTREAM_HOST, defaultPort ? out.host() : out.host() + ":" + out.port());
        ctx.setVar(AiVars.UPSTREAM_URI, out.path());

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
            long t0 = System.nanoTime();
            return c.request(out.options())
                    .compose(upReq -> {
                        // a client that leaves while we wait for the provider cancels the call
                        ctx.onClientClose(upReq::reset);
                        return upReq.send(out.body()).map(resp -> {
                            resp.pause(); // the body is read by relay(), possibly after a failover decision
                            return new AiAttempt(this, inst, ctx, req, upReq, resp, t0,
                                    out.usageInjected(), out.vertexEmbeddings());
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

    private Outgoing prepare(AiInstance inst, RequestContext ctx, AiRequest req) {
        AiProvider provider = inst.provider();
        AiProtocol protocol = req.protocol();
        if (!provider.supports(protocol)) {
            throw new AiCallException(400, "provider " + provider.name() + " does not support "
                    + protocol.apisixName() + " protocol");
        }
        // shallow: only top-level keys change below (stream_options, the one nested object written to,
        // is copied); the client's body stays as it was, for failover and the loggers
        JsonObject body = new JsonObject(new java.util.LinkedHashMap<>(req.body().getMap()));
        for (Map.Entry<String, Object> e : inst.options()) {
            Object v = e.getValue();
            body.put(e.getKey(), v instanceof JsonObject o ? o.copy()
                    : v instanceof io.vertx.core.json.JsonArray a ? a.copy() : v);
        }
        String model = inst.optionsModel() != null ? inst.optionsModel() : req.clientModel();

        boolean injected = false;
        if (req.stream() && provider.acceptsStreamOptions() && !req.clientAskedUsage()) {
            // tokens must always be counted: ask for the usage chunk and hide it from the client
            JsonObject so = body.getValue("stream_options") instanceof JsonObject o ? o.copy() : new JsonObject();
            so.put("include_usage", true);
            body.put("stream_options", so);
            injected = true;
        }
        if (provider.removeModel()) {
            body.remove("model");
        }
        boolean vertexEmb = protocol == AiProtocol.EMBEDDINGS && provider.embeddingsViaVertexPredict();
        if (vertexEmb) {
            try {
                body = VertexPredict.toPredictRequest(body);
            } catch (VertexPredict.ConversionException e) {
                throw new AiCallException(400, e.getMessage());
            }
        }

        Endpoint ep = inst.endpoint();
        String path = ep != null ? ep.path() : null;
        if (path == null) {
            path = provider.path(protocol, inst.providerConf(), model);
            if (path == null) {
                throw new AiCallException(400, "could not resolve upstream path: ensure the route or request "
                        + "body specifies a model, or that override.endpoint includes a path");
            }
        }
        boolean ssl = ep == null || ep.ssl();
        String host = ep != null ? ep.host() : provider.host(inst.providerConf());
        int port = ep != null ? ep.port() : 443;

        StringBuilder query = new StringBuilder();
        Set<String> endpointKeys = new HashSet<>();
        if (ep != null && ep.rawQuery() != null) {
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
        for (Map.Entry<String, String> h : ctx.proxyRequest().headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(name) && !HopByHop.is(name)) {
                headers.add(h.getKey(), h.getValue());
            }
        }
        for (Map.Entry<String, String> h : inst.authHeaders().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
        headers.set("Content-Type", "application/json");

        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(query.length() == 0 ? path : path + "?" + query)
                .setHeaders(headers)
                .setConnectTimeout(transport.timeoutMs())
                .setIdleTimeout(transport.timeoutMs());
        return new Outgoing(ro, body.toBuffer(), model, injected, vertexEmb, ssl ? "https" : "http", host, port, path);
    }
}
