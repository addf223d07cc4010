package dev.aigw.gateway.log;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.route.Route;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.net.SocketAddress;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Builds APISIX's default log entry (log-util's {@code get_full_log}) and the {@code origin} form
 * (the raw request text), shared by every logger plugin.
 *
 * <p>The default entry: {@code request} (url, uri, method, headers, querystring, size, and body when
 * asked), {@code response} (status, headers, size, body when asked), {@code server} (hostname,
 * version), {@code upstream}, {@code service_id}, {@code route_id}, {@code consumer},
 * {@code client_ip}, {@code start_time}, {@code latency}, {@code upstream_latency},
 * {@code apisix_latency}, then the fields plugins put in {@link RequestContext#logFields()}
 * ({@code llm_summary}, {@code llm_request}, {@code llm_response_text} …).
 *
 * <p>Secret headers ({@link #MASKED_HEADERS}) are replaced by {@link #MASK} everywhere an entry shows
 * headers. Built on the event loop in the log phase from what the request already holds: written
 * straight to JSON text with Jackson's streaming generator (no tree of maps, no copies of the header
 * maps), no I/O. One instance per gateway (it holds the host name, looked up once).
 */
public final class LogEntry {

    /** Request headers whose values never appear in a log entry (lowercase). */
    public static final Set<String> MASKED_HEADERS = Set.of(
            "authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key",
            // key-auth's default header: a gateway key is a secret too
            "apikey");

    /** What a masked value is replaced with. */
    public static final String MASK = "******";

    /**
     * Jackson's streaming writer (Vert.x's JSON is Jackson too: the same text for the same values).
     * Doubles (latencies, every entry has three) are written with Jackson's Schubfach writer: JDK 17's
     * {@code Double.toString} took ~2 % of an event loop with kafka-logger on. Both give a text that
     * reads back as the same double; Schubfach's is the shortest, where JDK 17's rarely has a digit more.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    private final String hostname;
    private final String version;

    public LogEntry(String hostname, String version) {
        this.hostname = hostname;
        this.version = version;
    }

    /**
     * An instance for this host. Looks the host name up (may touch the resolver): call at start-up,
     * not on an event loop.
     */
    public static LogEntry forThisHost(String version) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
        }
        return new LogEntry(host, version);
    }

    public String hostname() {
        return hostname;
    }

    /** True for a header (any case) whose value is masked in entries. */
    public static boolean isMasked(String headerName) {
        return MASKED_HEADERS.contains(headerName.toLowerCase(Locale.ROOT));
    }

    /**
     * APISIX's default entry as JSON text, written straight from the request with a streaming
     * generator (no tree of maps, no copies of the header maps): this runs on the event loop once
     * per request for every logger. Fields, in order: the default ones, then
     * {@link RequestContext#logFields()} (a field of the same name as a default one replaces its
     * value in place, a null one is left out), then the fields of {@code extra}
     * ({@code log_format_extra}) that neither added.
     *
     * @param requestBody     the request body to include ({@code request.body}), or null
     * @param responseBody    the response body to include ({@code response.body}), or null
     * @param extra           {@code log_format_extra}, or null
     * @param maxReqBodyBytes the cut of {@code $request_body} in {@code extra}
     */
    public String fullJson(RequestContext ctx, String requestBody, String responseBody, LogEntryFormat extra,
                           int maxReqBodyBytes) {
        // Jackson's recycled buffers: the text is copied once, into the String
        SegmentedStringWriter out = new SegmentedStringWriter(JSON._getBufferRecycler());
        try {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                writeFull(g, ctx, requestBody, responseBody, extra, maxReqBodyBytes);
            }
            return out.getAndClear();
        } catch (IOException e) {
            throw new EncodeException("log entry: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #fullJson} as UTF-8, written to {@code out}: for a sink that keeps bytes (Kafka), no String
     * and no second encoding pass. Jackson's recycled buffer holds the text until the generator is
     * closed, so a short entry reaches {@code out} in one write.
     */
    public void fullJsonUtf8(OutputStream out, RequestContext ctx, String requestBody, String responseBody,
                             LogEntryFormat extra, int maxReqBodyBytes) {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeFull(g, ctx, requestBody, responseBody, extra, maxReqBodyBytes);
        } catch (IOException e) {
            throw new EncodeException("log entry: " + e.getMessage(), e);
        }
    }

    /** The text of a rendered entry ({@code log_format}) with the log fields added, as {@link #fullJson}. */
    public static String formatJson(LogEntryFormat format, RequestContext ctx, int maxReqBodyBytes) {
        JsonObject entry = format.render(ctx, maxReqBodyBytes);
        addLogFields(entry, ctx);
        return entry.encode();
    }

    // The default entry's field names, quoted and encoded once: Jackson copies them as they are
    // instead of checking every character for escapes, per field, per request.
    private static final SerializedString F_APISIX_LATENCY = new SerializedString("apisix_latency");
    private static final SerializedString F_BODY = new SerializedString("body");
    private static final SerializedString F_CLIENT_IP = new SerializedString("client_ip");
    private static final SerializedString F_CONSUMER = new SerializedString("consumer");
    private static final SerializedString F_HEADERS = new SerializedString("headers");
    private static final SerializedString F_HOSTNAME = new SerializedString("hostname");
    private static final SerializedString F_LATENCY = new SerializedString("latency");
    private static final SerializedString F_METHOD = new SerializedString("method");
    private static final SerializedString F_QUERYSTRING = new SerializedString("querystring");
    private static final SerializedString F_REQUEST = new SerializedString("request");
    private static final SerializedString F_RESPONSE = new SerializedString("response");
    private static final SerializedString F_ROUTE_ID = new SerializedString("route_id");
    private static final SerializedString F_SERVER = new SerializedString("server");
    private static final SerializedString F_SERVICE_ID = new SerializedString("service_id");
    private static final SerializedString F_SIZE = new SerializedString("size");
    private static final SerializedString F_START_TIME = new SerializedString("start_time");
    private static final SerializedString F_STATUS = new SerializedString("status");
    private static final SerializedString F_UPSTREAM = new SerializedString("upstream");
    private static final SerializedString F_UPSTREAM_LATENCY = new SerializedString("upstream_latency");
    private static final SerializedString F_URI = new SerializedString("uri");
    private static final SerializedString F_URL = new SerializedString("url");
    private static final SerializedString F_USERNAME = new SerializedString("username");
    private static final SerializedString F_VERSION = new SerializedString("version");

    private static void stringField(JsonGenerator g, SerializedString name, String value) throws IOException {
        g.writeFieldName(name);
        g.writeString(value);
    }

    private static void numberField(JsonGenerator g, SerializedString name, long value) throws IOException {
        g.writeFieldName(name);
        g.writeNumber(value);
    }

    private static void numberField(JsonGenerator g, SerializedString name, double value) throws IOException {
        g.writeFieldName(name);
        g.writeNumber(value);
    }

    private void writeFull(JsonGenerator g, RequestContext ctx, String requestBody, String responseBody,
                           LogEntryFormat extra, int maxReqBodyBytes) throws IOException {
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        Route route = ctx.route();
        Map<String, Object> fields = ctx.logFields();
        // a plugin's field named like a default one replaces it in place (rare: checked once)
        boolean overrides = false;
        for (String k : fields.keySet()) {
            if (DEFAULT_FIELDS.contains(k)) {
                overrides = true;
                break;
            }
        }

        g.writeStartObject();
        if (!override(g, overrides, fields, "request")) {
            g.writeFieldName(F_REQUEST);
            g.writeStartObject();
            stringField(g, F_URL, url(ctx));
            stringField(g, F_URI, req.uri());
            stringField(g, F_METHOD, req.method().name());
            g.writeFieldName(F_HEADERS);
            writeHeaders(g, req.headers(), true);
            g.writeFieldName(F_QUERYSTRING);
            String query = req.query();
            if (query == null || query.isEmpty()) {
                g.writeStartObject();
                g.writeEndObject();
            } else {
                JacksonCodec.encodeJson(querystring(query), g);
            }
            numberField(g, F_SIZE, CoreVariables.requestLength(ctx));
            if (requestBody != null) {
                stringField(g, F_BODY, requestBody);
            }
            g.writeEndObject();
        }
        if (!override(g, overrides, fields, "response")) {
            g.writeFieldName(F_RESPONSE);
            g.writeStartObject();
            numberField(g, F_STATUS, ctx.status());
            g.writeFieldName(F_HEADERS);
            writeHeaders(g, resp.headers(), false);
            numberField(g, F_SIZE, CoreVariables.bytesSent(ctx));
            if (responseBody != null) {
                stringField(g, F_BODY, responseBody);
            }
            g.writeEndObject();
        }
        if (!override(g, overrides, fields, "server")) {
            g.writeFieldName(F_SERVER);
            g.writeStartObject();
            stringField(g, F_HOSTNAME, hostname);
            stringField(g, F_VERSION, version);
            g.writeEndObject();
        }
        String upstream = ctx.varString("upstream_addr");
        if (upstream != null && !override(g, overrides, fields, "upstream")) {
            stringField(g, F_UPSTREAM, upstream);
        }
        if (route != null) {
            if (!override(g, overrides, fields, "service_id")) {
                Object sid = route.definition() == null ? null : route.definition().getValue("service_id");
                stringField(g, F_SERVICE_ID, sid == null ? "" : String.valueOf(sid));
            }
            if (!override(g, overrides, fields, "route_id")) {
                stringField(g, F_ROUTE_ID, route.id());
            }
        } else if (!override(g, overrides, fields, "service_id")) {
            stringField(g, F_SERVICE_ID, host(ctx));
        }
        String consumer = ctx.varString("consumer_name");
        if (consumer != null && !override(g, overrides, fields, "consumer")) {
            g.writeFieldName(F_CONSUMER);
            g.writeStartObject();
            stringField(g, F_USERNAME, consumer);
            g.writeEndObject();
        }
        String clientIp = clientIp(ctx);
        if (!override(g, overrides, fields, "client_ip")) {
            if (clientIp == null) {
                g.writeFieldName(F_CLIENT_IP);
                g.writeNull();
            } else {
                stringField(g, F_CLIENT_IP, clientIp);
            }
        }
        if (!override(g, overrides, fields, "start_time")) {
            numberField(g, F_START_TIME, ctx.startMillis());
        }
        long end = ctx.endNanos() != 0 ? ctx.endNanos() : System.nanoTime();
        double latency = (end - ctx.startNanos()) / 1_000_000.0;
        double apisixLatency = latency;
        if (!override(g, overrides, fields, "latency")) {
            numberField(g, F_LATENCY, latency);
        }
        Double upstreamSeconds = toDouble(ctx.var("upstream_response_time"));
        if (upstreamSeconds != null) {
            double upstreamLatency = upstreamSeconds * 1000.0;
            if (!override(g, overrides, fields, "upstream_latency")) {
                numberField(g, F_UPSTREAM_LATENCY, upstreamLatency);
            }
            apisixLatency = Math.max(0, latency - upstreamLatency);
        }
        if (!override(g, overrides, fields, "apisix_latency")) {
            numberField(g, F_APISIX_LATENCY, apisixLatency);
        }

        for (Map.Entry<String, Object> f : fields.entrySet()) {
            if (f.getValue() == null) {
                continue;
            }
            String k = f.getKey();
            if (overrides && DEFAULT_FIELDS.contains(k)
                    && defaultPresent(k, upstream != null, route != null, consumer != null, upstreamSeconds != null)) {
                continue; // written in place of the default field
            }
            g.writeFieldName(k);
            writeValue(g, f.getValue());
        }

        if (extra != null) {
            for (Map.Entry<String, Object> e : extra.renderFields(ctx, maxReqBodyBytes)) {
                String k = e.getKey();
                boolean present = fields.get(k) != null || DEFAULT_FIELDS.contains(k)
                        && defaultPresent(k, upstream != null, route != null, consumer != null, upstreamSeconds != null);
                if (!present) { // never clobber a default field
                    g.writeFieldName(k);
                    JacksonCodec.encodeJson(e.getValue(), g);
                }
            }
        }
        g.writeEndObject();
    }

    /** Top-level fields of the default entry. */
    private static final Set<String> DEFAULT_FIELDS = Set.of("request", "response", "server", "upstream",
            "service_id", "route_id", "consumer", "client_ip", "start_time", "latency", "upstream_latency",
            "apisix_latency");

    /** Whether the default entry has this default field for this request. */
    private static boolean defaultPresent(String k, boolean upstream, boolean route, boolean consumer,
                                          boolean upstreamLatency) {
        return switch (k) {
            case "upstream" -> upstream;
            case "route_id" -> route;
            case "consumer" -> consumer;
            case "upstream_latency" -> upstreamLatency;
            default -> true;
        };
    }

    /** Writes a plugin's non-null field of this name in place of the default one; false if none. */
    private static boolean override(JsonGenerator g, boolean overrides, Map<String, Object> fields, String key)
            throws IOException {
        if (!overrides) {
            return false;
        }
        Object v = fields.get(key);
        if (v == null) {
            return false;
        }
        g.writeFieldName(key);
        writeValue(g, v);
        return true;
    }

    /**
     * A plugin's log field (the LLM summary: a map of strings, numbers and booleans) written with the
     * generator's own calls, the common types tested first. Vert.x's codec gives the same text but
     * tries a dozen types per value; with the summary in every entry it was a tenth of kafka-logger's
     * work per request. Anything else (Vert.x JSON, buffers, instants …) goes to that codec.
     */
    static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v == null) {
            g.writeNull();
        } else if (v instanceof FixedFields f) {
            f.writeJson(g);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof java.util.List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                writeValue(g, o);
            }
            g.writeEndArray();
        } else {
            JacksonCodec.encodeJson(v, g);
        }
    }

    /**
     * Lowercase names; a repeated header becomes an array (as ngx.req.get_headers). Names in the
     * order of {@code MultiMap.names()} (sorted, case-insensitively), values in arrival order: the
     * entries are walked once and sorted stably, instead of a sorted set of names and a lookup of
     * every name's values.
     */
    private static void writeHeaders(JsonGenerator g, MultiMap headers, boolean mask) throws IOException {
        // forEach, not the iterator (a wrapper per entry) nor headers.size() (Vert.x counts names by
        // building a sorted set of them)
        HeaderList list = new HeaderList();
        headers.forEach(list);
        String[] names = list.names;
        String[] values = list.values;
        int i = list.size;
        int[] order = null;
        for (int k = 1; k < i; k++) {
            if (String.CASE_INSENSITIVE_ORDER.compare(names[k - 1], names[k]) > 0) {
                order = sortedOrder(names, i);
                break;
            }
        }
        g.writeStartObject();
        int k = 0;
        while (k < i) {
            int first = order == null ? k : order[k];
            int end = k + 1;
            while (end < i && names[first].equalsIgnoreCase(names[order == null ? end : order[end]])) {
                end++;
            }
            HeaderName key = headerName(names[first]);
            g.writeFieldName(key.lower());
            if (mask && key.masked()) {
                g.writeString(MASK);
            } else if (end - k == 1) {
                g.writeString(values[first]);
            } else {
                g.writeStartArray();
                for (int m = k; m < end; m++) {
                    g.writeString(values[order == null ? m : order[m]]);
                }
                g.writeEndArray();
            }
            k = end;
        }
        g.writeEndObject();
    }

    /** A header name as entries show it: lowercase, encoded once; and whether its value is masked. */
    record HeaderName(SerializedString lower, boolean masked) {
    }

    /** Names seen so far (as they arrived, any case); at most {@link #HEADER_NAMES_CAP}. */
    private static final ConcurrentHashMap<String, HeaderName> HEADER_NAMES = new ConcurrentHashMap<>();
    /** Clients choose header names: past this many distinct ones, names are worked out per entry. */
    static final int HEADER_NAMES_CAP = 1024;
    private static final AtomicLong HEADER_NAMES_UNCACHED = new AtomicLong();

    /**
     * The entry's form of a header name, from a bounded cache: every entry writes a dozen names, and
     * lowercasing, the mask check and Jackson's escape scan of each were a tenth of an entry's cost.
     */
    static HeaderName headerName(String name) {
        HeaderName h = HEADER_NAMES.get(name);
        if (h != null) {
            return h;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        h = new HeaderName(new SerializedString(lower), MASKED_HEADERS.contains(lower));
        if (HEADER_NAMES.size() < HEADER_NAMES_CAP) {
            HEADER_NAMES.putIfAbsent(name, h);
        } else {
            HEADER_NAMES_UNCACHED.incrementAndGet();
        }
        return h;
    }

    /** Header names worked out without the cache because it was full (hostile or unusual clients). */
    public static long headerNamesUncached() {
        return HEADER_NAMES_UNCACHED.get();
    }

    /** A request's or response's header entries in arrival order. */
    private static final class HeaderList implements BiConsumer<String, String> {
        String[] names = new String[16];
        String[] values = new String[16];
        int size;

        @Override
        public void accept(String name, String value) {
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            names[size] = name;
            values[size++] = value;
        }
    }

    /**
     * Indexes of the first {@code n} names sorted case-insensitively, equal names kept in arrival order
     * (an insertion sort: a request has a few dozen headers at most).
     */
    private static int[] sortedOrder(String[] names, int n) {
        int[] order = new int[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
            int m = j - 1;
            while (m >= 0 && String.CASE_INSENSITIVE_ORDER.compare(names[order[m]], names[j]) > 0) {
                order[m + 1] = order[m];
                m--;
            }
            order[m + 1] = j;
        }
        return order;
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

    /** ngx.req.get_uri_args: decoded; a flag without '=' is true; a repeated name an array. */
    static JsonObject querystring(String query) {
        JsonObject out = new JsonObject();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (k.isEmpty()) {
                continue;
            }
            Object v = eq < 0 ? Boolean.TRUE : decode(pair.substring(eq + 1));
            Object prev = out.getValue(k);
            if (prev == null) {
                out.put(k, v);
            } else if (prev instanceof JsonArray a) {
                a.add(v);
            } else {
                out.put(k, new JsonArray().add(prev).add(v));
            }
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** A variable's value as a whole number (a number, or text that parses as one), else null. */
    public static Long toLong(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v != null) {
            try {
                return Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    static Double toDouble(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v != null) {
            String s = v.toString().trim();
            // nginx joins several attempts with ", "; the last one answered
            int comma = s.lastIndexOf(',');
            if (comma >= 0) {
                s = s.substring(comma + 1).trim();
            }
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
