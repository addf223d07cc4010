package dev.aigw.gateway.context;

import dev.aigw.gateway.route.Route;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The gateway's built-in variables, under nginx / APISIX names and in nginx's formats, so that an
 * APISIX {@code access_log_format} or {@code vars} expression carries over unchanged.
 *
 * <p>Fixed names: {@code remote_addr}, {@code remote_port}, {@code remote_user}, {@code time_local},
 * {@code time_iso8601}, {@code msec}, {@code request}, {@code request_line}, {@code request_method},
 * {@code method}, {@code uri}, {@code request_uri}, {@code args}, {@code query_string},
 * {@code is_args}, {@code host}, {@code scheme}, {@code server_protocol}, {@code server_addr},
 * {@code server_port}, {@code status}, {@code body_bytes_sent}, {@code bytes_sent},
 * {@code request_length}, {@code request_time}, {@code connection}, {@code connection_requests},
 * {@code apisix_request_id}, {@code route_id}, {@code route_name}, {@code request_body}.
 * Prefixes: {@code http_}, {@code sent_http_}, {@code arg_}, {@code cookie_}, {@code post_arg.}.
 *
 * <p>Upstream variables ({@link UpstreamVariables}: {@code upstream_addr} …) are registered here as
 * null; the upstreams set their values on the request with {@link RequestContext#setVar}. Plugins'
 * variables ({@code llm_model} …) are registered by their plugins. Unset, they render as {@code -}.
 *
 * <p>Times: {@code time_local}, {@code time_iso8601} and {@code msec} are the time the request
 * finished (nginx logs them at log time, which is when the response ended), or now while it runs.
 */
public final class CoreVariables {

    private final NginxTime time;
    private final ConnectionSerials connections = new ConnectionSerials();
    private final PostArgPaths postArgPaths = new PostArgPaths();

    private CoreVariables(ZoneId zone) {
        this.time = new NginxTime(zone);
    }

    /** Registers every core variable, formatting local times in the system's time zone (as nginx). */
    public static CoreVariables register(VariableRegistry r) {
        return register(r, ZoneId.systemDefault());
    }

    /** As {@link #register(VariableRegistry)}, with an explicit zone for {@code time_local} / {@code time_iso8601}. */
    public static CoreVariables register(VariableRegistry r, ZoneId zone) {
        CoreVariables v = new CoreVariables(zone);
        v.registerAll(r);
        return v;
    }

    /** {@code post_arg.*} paths compiled per use because their cache was full, since start. */
    public long postArgPathsUncached() {
        return postArgPaths.uncached();
    }

    private void registerAll(VariableRegistry r) {
        // client and server addresses
        r.register("remote_addr", ctx -> hostAddress(ctx.request().remoteAddress()));
        r.register("remote_port", ctx -> port(ctx.request().remoteAddress()));
        // nginx's realip module: the peer's own address, whatever real-ip set $remote_addr to
        r.register("realip_remote_addr", ctx -> hostAddress(ctx.request().remoteAddress()));
        r.register("realip_remote_port", ctx -> port(ctx.request().remoteAddress()));
        r.register("server_addr", ctx -> hostAddress(ctx.request().localAddress()));
        r.register("server_port", ctx -> port(ctx.request().localAddress()));
        r.register("remote_user", ctx -> basicUser(ctx.request().getHeader(HttpHeaders.AUTHORIZATION)));
        r.register("connection", ctx -> connections.of(ctx).connection());
        r.register("connection_requests", ctx -> connections.of(ctx).requests());

        // times
        r.register("time_local", ctx -> time.local(logMillis(ctx)));
        r.register("time_iso8601", ctx -> time.iso8601(logMillis(ctx)));
        r.register("msec", ctx -> NginxTime.msec(logMillis(ctx)));
        r.register("request_time", ctx -> {
            long end = ctx.endNanos() != 0 ? ctx.endNanos() : System.nanoTime();
            return NginxTime.seconds3((end - ctx.startNanos()) / 1_000_000L);
        });

        // request line
        VariableRegistry.Resolver requestLine = CoreVariables::requestLine;
        r.register("request", requestLine);
        r.register("request_line", requestLine);
        r.register("request_method", ctx -> ctx.request().method().name());
        r.register("method", ctx -> ctx.request().method().name());
        r.register("uri", ctx -> uri(ctx.request()));
        r.register("request_uri", ctx -> ctx.request().uri());
        r.register("args", ctx -> ctx.request().query());
        r.register("query_string", ctx -> ctx.request().query());
        r.register("is_args", ctx -> ctx.request().query() != null ? "?" : "");
        r.register("host", CoreVariables::host);
        r.register("scheme", ctx -> ctx.request().scheme());
        r.register("server_protocol", ctx -> protocol(ctx.request().version()));
        r.register("request_length", CoreVariables::requestLength);
        // nginx: unset unless the body was read into memory; an empty body is unset too
        r.register("request_body", ctx -> ctx.body() == null || ctx.body().length() == 0
                ? null : ctx.body().toString(StandardCharsets.UTF_8));

        // response
        r.register("status", ctx -> {
            int s = ctx.status();
            return s == 0 ? "000" : (Object) s; // nginx prints an unknown status as 000
        });
        r.register("body_bytes_sent", ctx -> ctx.response().bytesWritten());
        r.register("bytes_sent", CoreVariables::bytesSent);

        // gateway
        r.register("apisix_request_id", RequestContext::requestId);
        r.register("route_id", ctx -> {
            Route route = ctx.route();
            return route == null ? null : route.id();
        });
        r.register("route_name", ctx -> {
            Route route = ctx.route();
            return route == null ? null : route.name();
        });
        // set by an auth plugin (attach_consumer): limits key counters and metrics label on them
        r.register("consumer_name", ctx -> ctx.consumer() == null ? null : ctx.consumer().username());
        r.register("consumer_group_id", ctx -> ctx.consumer() == null ? null : ctx.consumer().groupId());

        UpstreamVariables.register(r);

        // prefixes
        r.registerPrefix("http_", (ctx, name) -> header(ctx.request().headers(), name));
        r.registerPrefix("sent_http_", (ctx, name) -> header(ctx.response().headers(), name));
        r.registerPrefix("arg_", CoreVariables::arg);
        r.registerPrefix("cookie_", (ctx, name) -> {
            String v = cookie(ctx.request().getHeader(HttpHeaders.COOKIE), name);
            return v == null ? null : utf8(v);
        });
        r.registerPrefix("post_arg.", (ctx, path) -> {
            PostArgPath compiled = postArgPaths.get(path);
            return compiled == null ? null : ctx.postArg(compiled);
        });
    }

    // ---------------------------------------------------------------- helpers

    /** The wall-clock time the request finished, or now while it is still running. */
    private static long logMillis(RequestContext ctx) {
        long end = ctx.endNanos();
        if (end == 0) {
            return System.currentTimeMillis();
        }
        return ctx.startMillis() + (end - ctx.startNanos()) / 1_000_000L;
    }

    private static String hostAddress(SocketAddress a) {
        return a == null ? null : a.hostAddress();
    }

    private static Object port(SocketAddress a) {
        return a == null || a.port() < 0 ? null : a.port();
    }

    static String protocol(HttpVersion v) {
        if (v == null) {
            return null;
        }
        return switch (v) {
            case HTTP_1_0 -> "HTTP/1.0";
            case HTTP_1_1 -> "HTTP/1.1";
            case HTTP_2 -> "HTTP/2.0";
        };
    }

    private static String requestLine(RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        String method = req.method().name();
        String uri = req.uri();
        String proto = protocol(req.version());
        return new StringBuilder(method.length() + uri.length() + 10)
                .append(method).append(' ').append(uri).append(' ').append(proto).toString();
    }

    /** nginx's {@code $uri}: the path without arguments, percent-decoded. */
    private static String uri(HttpServerRequest req) {
        String path = req.path();
        if (path == null || path.indexOf('%') < 0) {
            return path;
        }
        return percentDecode(path);
    }

    /** Decodes %XX sequences as UTF-8 bytes; a malformed sequence is kept as it is (as nginx does). */
    static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    out.write(hi << 4 | lo);
                    i += 3;
                    continue;
                }
            }
            if (c < 0x80) {
                out.write(c);
                i++;
            } else {
                int cp = s.codePointAt(i);
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i += Character.charCount(cp);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** nginx's {@code $host}: request-line host, else Host header, else the server's address; no port, lowercase. */
    private static String host(RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        HostAndPort authority = req.authority();
        String h = authority != null ? authority.host() : null;
        if (h == null || h.isEmpty()) {
            SocketAddress local = req.localAddress();
            h = local == null ? null : local.hostAddress();
        }
        if (h == null) {
            return null;
        }
        return h.toLowerCase(Locale.ROOT);
    }

    /**
     * {@code remote_user}: the user name of an {@code Authorization: Basic} header, null when the header
     * is absent, not Basic, not valid base64 or without a colon (nginx's rules).
     */
    static String basicUser(String authorization) {
        if (authorization == null || authorization.length() < 6
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String token = authorization.substring(6).trim();
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                return new String(decoded, 0, i, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * {@code http_<name>} / {@code sent_http_<name>}: the header whose name, lowercased with {@code -}
     * turned into {@code _}, equals the suffix (nginx's matching: {@code http_user_agent} is
     * {@code User-Agent}). Repeated headers are joined with {@code ", "} ({@code "; "} for Cookie), as
     * nginx 1.23+ does.
     */
    static String header(MultiMap headers, String suffix) {
        String name = suffix.indexOf('_') < 0 ? suffix : suffix.replace('_', '-');
        List<String> values = headers.getAll(name);
        if (values.isEmpty() && suffix.indexOf('_') >= 0) {
            // a header spelled with underscores (APISIX sets underscores_in_headers on)
            values = headers.getAll(suffix);
        }
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() == 1) {
            return utf8(values.get(0));
        }
        String sep = "cookie".equalsIgnoreCase(name) ? "; " : ", ";
        return utf8(String.join(sep, values));
    }

    /**
     * The HTTP codec turns header bytes into chars one to one (ISO-8859-1), so a UTF-8 header value
     * arrives as mojibake ({@code Ã©} for {@code é}). Re-decode it as UTF-8 when it is valid UTF-8,
     * so that variables hold text and the log's escaping sees the client's real bytes; a value that is
     * plain ASCII (the usual case) is returned as it is, without allocating.
     */
    static String utf8(String latin1) {
        boolean high = false;
        for (int i = 0; i < latin1.length(); i++) {
            char c = latin1.charAt(i);
            if (c > 0xff) {
                return latin1; // already text
            }
            if (c >= 0x80) {
                high = true;
            }
        }
        if (!high) {
            return latin1;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1)))
                    .toString();
        } catch (CharacterCodingException e) {
            return latin1;
        }
    }

    /** {@code arg_<name>}: the first value of a query argument, url-decoded (APISIX). */
    private static Object arg(RequestContext ctx, String name) {
        if (ctx.request().query() == null) {
            return null;
        }
        try {
            return ctx.request().getParam(name);
        } catch (RuntimeException e) {
            return null; // malformed query string
        }
    }

    /** {@code cookie_<name>}: the raw value of the first cookie with that exact name. */
    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        int i = 0;
        int len = header.length();
        while (i < len) {
            while (i < len && (header.charAt(i) == ' ' || header.charAt(i) == ';' || header.charAt(i) == ',')) {
                i++;
            }
            int end = header.indexOf(';', i);
            if (end < 0) {
                end = len;
            }
            int eq = header.indexOf('=', i);
            if (eq > i && eq < end) {
                int nameEnd = eq;
                while (nameEnd > i && header.charAt(nameEnd - 1) == ' ') {
                    nameEnd--;
                }
                if (nameEnd - i == name.length() && header.regionMatches(i, name, 0, name.length())) {
                    int vs = eq + 1;
                    int ve = end;
                    while (vs < ve && header.charAt(vs) == ' ') {
                        vs++;
                    }
                    while (ve > vs && header.charAt(ve - 1) == ' ') {
                        ve--;
                    }
                    return header.substring(vs, ve);
                }
            }
            i = end + 1;
        }
        return null;
    }

    /** {@code request_length}: request line, headers and body bytes read (best effort: HTTP/1 framing). */
    public static long requestLength(RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        long n = req.method().name().length() + 1L + req.uri().length() + 1L + 8 + 2;
        return n + headerBytes(req.headers()) + 2 + req.bytesRead();
    }

    /** {@code bytes_sent}: status line, headers and body (best effort: HTTP/1 framing, no chunk sizes). */
    public static long bytesSent(RequestContext ctx) {
        HttpServerResponse resp = ctx.response();
        String msg = resp.getStatusMessage();
        long n = 8 + 1 + 3 + 1 + (msg == null ? 0 : msg.length()) + 2;
        return n + headerBytes(resp.headers()) + 2 + resp.bytesWritten();
    }

    /**
     * The header lines ({@code name: value\r\n} each). {@code forEach} walks Vert.x's entries as they
     * are; the iterator wraps each one in a new object (prometheus reads both lengths per request).
     */
    private static long headerBytes(MultiMap headers) {
        long[] n = {0};
        headers.forEach((name, value) -> n[0] += name.length() + 2L + value.length() + 2L);
        return n[0];
    }
}
