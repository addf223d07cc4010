package dev.aigw.gateway.log;

import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.route.Route;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The former {@link LogEntry#fullJson} path, kept as the reference of {@link LogEntryJsonTest}: the
 * entry built as a {@code JsonObject} tree (copies of both header maps), then encoded. Not used by
 * the gateway.
 */
final class LegacyLogEntry {

    /** Request headers whose values never appear in a log entry (lowercase). */
    public static final Set<String> MASKED_HEADERS = Set.of(
            "authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key",
            // key-auth's default header: a gateway key is a secret too
            "apikey");

    /** What a masked value is replaced with. */
    public static final String MASK = "******";

    private final String hostname;
    private final String version;

    LegacyLogEntry(String hostname, String version) {
        this.hostname = hostname;
        this.version = version;
    }

    /**
     * An instance for this host. Looks the host name up (may touch the resolver): call at start-up,
     * not on an event loop.
     */
    static LegacyLogEntry forThisHost(String version) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
        }
        return new LegacyLogEntry(host, version);
    }

    public String hostname() {
        return hostname;
    }

    /** True for a header (any case) whose value is masked in entries. */
    public static boolean isMasked(String headerName) {
        return MASKED_HEADERS.contains(headerName.toLowerCase(Locale.ROOT));
    }

    /**
     * APISIX's default entry.
     *
     * @param requestBody  the request body to include ({@code request.body}), or null
     * @param responseBody the response body to include ({@code response.body}), or null
     */
    public JsonObject full(RequestContext ctx, String requestBody, String responseBody) {
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        Route route = ctx.route();

        JsonObject request = new JsonObject()
                .put("url", url(ctx))
                .put("uri", req.uri())
                .put("method", req.method().name())
                .put("headers", headers(req.headers(), true))
                .put("querystring", LogEntry.querystring(req.query()))
                .put("size", CoreVariables.requestLength(ctx));
        if (requestBody != null) {
            request.put("body", requestBody);
        }
        JsonObject response = new JsonObject()
                .put("status", ctx.status())
                .put("headers", headers(resp.headers(), false))
                .put("size", CoreVariables.bytesSent(ctx));
        if (responseBody != null) {
            response.put("body", responseBody);
        }

        JsonObject entry = new JsonObject()
                .put("request", request)
                .put("response", response)
                .put("server", new JsonObject().put("hostname", hostname).put("version", version));
        String upstream = ctx.varString("upstream_addr");
        if (upstream != null) {
            entry.put("upstream", upstream);
        }
        if (route != null) {
            Object sid = route.definition() == null ? null : route.definition().getValue("service_id");
            String serviceId = sid == null ? null : String.valueOf(sid);
            entry.put("service_id", serviceId == null ? "" : serviceId);
            entry.put("route_id", route.id());
        } else {
            entry.put("service_id", host(ctx));
        }
        String consumer = ctx.varString("consumer_name");
        if (consumer != null) {
            entry.put("consumer", new JsonObject().put("username", consumer));
        }
        entry.put("client_ip", clientIp(ctx));
        entry.put("start_time", ctx.startMillis());

        long end = ctx.endNanos() != 0 ? ctx.endNanos() : System.nanoTime();
        double latency = (end - ctx.startNanos()) / 1_000_000.0;
        double apisixLatency = latency;
        entry.put("latency", latency);
        Double upstreamSeconds = LogEntry.toDouble(ctx.var("upstream_response_time"));
        if (upstreamSeconds != null) {
            double upstreamLatency = upstreamSeconds * 1000.0;
            entry.put("upstream_latency", upstreamLatency);
            apisixLatency = Math.max(0, latency - upstreamLatency);
        }
        entry.put("apisix_latency", apisixLatency);
        addLogFields(entry, ctx);
        return entry;
    }

    /**
     * APISIX's {@code origin} meta format: the request line, the headers and a blank line, then the
     * body when given; secret headers masked.
     */
    public String origin(RequestContext ctx, String requestBody) {
        HttpServerRequest req = ctx.request();
        StringBuilder sb = new StringBuilder(256);
        sb.append(requestLine(req)).append("\r\n");
        for (Map.Entry<String, String> h : req.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            sb.append(name).append(": ").append(MASKED_HEADERS.contains(name) ? MASK : h.getValue()).append("\r\n");
        }
        sb.append("\r\n");
        if (requestBody != null) {
            sb.append(requestBody);
        }
        return sb.toString();
    }

    /** Copies {@link RequestContext#logFields()} as top-level fields (the LLM summary and payloads). */
    public static void addLogFields(JsonObject entry, RequestContext ctx) {
        for (Map.Entry<String, Object> f : ctx.logFields().entrySet()) {
            if (f.getValue() != null) {
                entry.put(f.getKey(), f.getValue());
            }
        }
    }

    /** The request body read by the gateway, cut to {@code maxBytes}, or null if it was not read. */
    public static String requestBody(RequestContext ctx, int maxBytes) {
        Buffer b = ctx.body();
        if (b == null) {
            return null;
        }
        if (maxBytes > 0 && b.length() > maxBytes) {
            b = b.getBuffer(0, maxBytes);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** nginx's {@code $request}: {@code GET /path?q HTTP/1.1}. */
    public static String requestLine(HttpServerRequest req) {
        return req.method().name() + " " + req.uri() + " " + httpVersion(req);
    }

    private static String httpVersion(HttpServerRequest req) {
        return switch (req.version()) {
            case HTTP_1_0 -> "HTTP/1.0";
            case HTTP_1_1 -> "HTTP/1.1";
            case HTTP_2 -> "HTTP/2.0";
            default -> "HTTP/1.1";
        };
    }

    private static String url(RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        SocketAddress local = req.localAddress();
        int port = local == null ? -1 : local.port();
        return req.scheme() + "://" + host(ctx) + ":" + port + req.uri();
    }

    /** nginx's {@code $host}: the Host header without port, lowercase, else the local address. */
    private static String host(RequestContext ctx) {
        String v = ctx.varString("host");
        if (v != null) {
            return v;
        }
        String h = ctx.request().getHeader("Host");
        if (h != null && !h.isEmpty()) {
            int colon = h.startsWith("[") ? h.indexOf("]:") + 1 : h.lastIndexOf(':');
            return (colon > 0 ? h.substring(0, colon) : h).toLowerCase(Locale.ROOT);
        }
        SocketAddress local = ctx.request().localAddress();
        return local == null ? "" : local.hostAddress();
    }

    private static String clientIp(RequestContext ctx) {
        String v = ctx.varString("remote_addr");
        if (v != null) {
            return v;
        }
        SocketAddress remote = ctx.request().remoteAddress();
        return remote == null ? null : remote.hostAddress();
    }

    /** Lowercase names; a repeated header becomes an array (as ngx.req.get_headers). */
    private static JsonObject headers(MultiMap headers, boolean mask) {
        JsonObject out = new JsonObject();
        for (String name : headers.names()) {
            String key = name.toLowerCase(Locale.ROOT);
            if (mask && MASKED_HEADERS.contains(key)) {
                out.put(key, MASK);
                continue;
            }
            var all = headers.getAll(name);
            if (all.size() == 1) {
                out.put(key, all.get(0));
            } else {
                out.put(key, new JsonArray(new ArrayList<Object>(all)));
            }
        }
        return out;
    }

    // querystring, toLong, toDouble: LogEntry's own; the sizes: CoreVariables' (the helpers did not change)
}
