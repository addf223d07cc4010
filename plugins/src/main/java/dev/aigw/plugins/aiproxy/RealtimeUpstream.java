package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamHandler;
import dev.aigw.gateway.websocket.WebSocketRelay;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.SocketAddress;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's Realtime API (a WebSocket) through an ai-proxy route with {@code enable_websocket}: the
 * upstream WebSocket goes to the provider's realtime endpoint ({@code wss://api.openai.com/v1/realtime},
 * or {@code override.endpoint} as given, e.g. an Azure deployment's {@code /openai/realtime?api-version=…&deployment=…}),
 * with the configured {@code auth.header} / {@code auth.query} and {@code options.model} (else the client's
 * {@code ?model=}). The client's own credentials (Authorization, api-key headers, key query parameters,
 * the WebSocket subprotocols browsers use to carry a key) never reach the provider; other headers, such
 * as {@code OpenAI-Beta}, pass. Frames are relayed as they are; {@link RealtimeUsage} reads the token
 * usage of {@code response.done} events as they pass.
 */
final class RealtimeUpstream implements UpstreamHandler {

    /** Default realtime path of OpenAI (and of providers speaking its API without an endpoint path). */
    static final String OPENAI_PATH = "/v1/realtime";

    private final AiExecutor executor;
    private final AiInstance inst;
    private final String model;

    RealtimeUpstream(AiExecutor executor, AiInstance inst, String model) {
        this.executor = executor;
        this.inst = inst;
        this.model = model;
    }

    /** True for the providers whose Realtime API this relays: OpenAI's wire format. */
    static boolean supports(AiInstance inst) {
        String p = inst.provider().name();
        return "openai".equals(p) || "azure-openai".equals(p) || "openai-compatible".equals(p);
    }

    @Override
    public void proxy(RequestContext ctx) {
        Endpoint ep = inst.endpoint();
        boolean ssl = ep == null || ep.ssl();
        String host = ep != null ? ep.host() : inst.provider().host(inst.providerConf());
        int port = ep != null ? ep.port() : 443;
        String path = ep != null && ep.path() != null ? ep.path() : OPENAI_PATH;
        boolean azure = "azure-openai".equals(inst.provider().name());

        StringBuilder query = new StringBuilder();
        Set<String> keys = new HashSet<>();
        if (ep != null && ep.rawQuery() != null) {
            query.append(ep.rawQuery());
            for (String pair : ep.rawQuery().split("&")) {
                int eq = pair.indexOf('=');
                keys.add(eq < 0 ? pair : pair.substring(0, eq));
            }
        }
        // Azure selects the model by its deployment (in the endpoint); the others by ?model=
        if (model != null && !azure && !keys.contains("model")) {
            append(query, "model", model);
            keys.add("model");
        }
        String clientQuery = ctx.request().query();
        if (clientQuery != null) {
            for (String pair : clientQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String name = URLDecoder.decode(k, StandardCharsets.UTF_8);
                if (pair.isEmpty() || keys.contains(k) || "model".equals(name) || AiExecutor.queryCredential(name)
                        || inst.authQuery().containsKey(name)) {
                    continue;
                }
                query.append(query.length() > 0 ? "&" : "").append(pair);
            }
        }
        for (Map.Entry<String, String> q : inst.authQuery().entrySet()) {
            if (!keys.contains(q.getKey())) {
                append(query, q.getKey(), q.getValue());
            }
        }
        String uri = query.length() == 0 ? path : path + "?" + query;

        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> h : ctx.proxyRequest().headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            // the client's handshake headers (and subprotocols, which browsers use to carry a key)
            // are replaced by the gateway's own handshake with the provider
            if (!AiExecutor.notForwarded(name) && !name.startsWith("sec-websocket-")
                    && !name.startsWith("x-forwarded-") && !"x-real-ip".equals(name)) {
                headers.add(h.getKey(), h.getValue());
            }
        }
        for (Map.Entry<String, String> h : inst.authHeaders().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
        boolean defaultPort = port == (ssl ? 443 : 80);
        String hostHeader = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + (defaultPort ? "" : ":" + port);
        headers.set(HttpHeaders.HOST, hostHeader);

        ctx.setVar(AiVars.UPSTREAM_SCHEME, ssl ? "https" : "http");
        ctx.setVar(AiVars.UPSTREAM_HOST, hostHeader);
        ctx.setVar(AiVars.UPSTREAM_URI, path);
        ctx.setVar(AiVars.UPSTREAM_ADDR, host + ":" + port);

        WebSocketClient client;
        try {
            client = executor.webSocketClient(ctx.vertx(), ctx.webSocket().maxMessageSize());
        } catch (IllegalStateException e) {
            ctx.exitError(503, "route is being reconfigured");
            return;
        }
        WebSocketConnectOptions opts = new WebSocketConnectOptions()
                .setServer(SocketAddress.inetSocketAddress(port, host))
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(uri)
                .setConnectTimeout(executor.transport().timeoutMs())
                .setTimeout(executor.transport().timeoutMs());
        opts.setHeaders(headers);
        WebSocketRelay.proxy(ctx, client, opts, executor.transport().timeoutMs() > 0
                ? Math.max(executor.transport().timeoutMs(), IDLE_FLOOR_MS) : 0, new RealtimeUsage(ctx), () -> { });
    }

    /**
     * A Realtime session is quiet between turns far longer than one HTTP answer takes: ai-proxy's
     * {@code timeout} (30 s by default) is its idle bound, but never under this.
     */
    static final long IDLE_FLOOR_MS = 60_000;

    private static void append(StringBuilder q, String k, String v) {
        q.append(q.length() > 0 ? "&" : "").append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
    }
}
