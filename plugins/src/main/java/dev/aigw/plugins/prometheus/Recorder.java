package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.conf.ConfigException;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.metrics.Counter;
import dev.aigw.gateway.metrics.Gauge;
import dev.aigw.gateway.metrics.Histogram;
import dev.aigw.gateway.metrics.LabeledMetric;
import dev.aigw.gateway.metrics.MetricsRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * APISIX 3.18's per-request metrics ({@code apisix/plugins/prometheus/exporter.lua} http_log) over
 * the gateway's registry: the label lists in APISIX's order, {@code extra_labels} appended, values of
 * {@code disabled_labels} collapsed to "", model names cut to 128 bytes.
 */
final class Recorder {

    static final String HTTP_STATUS = "http_status";
    static final String HTTP_LATENCY = "http_latency";
    static final String BANDWIDTH = "bandwidth";
    static final String LLM_LATENCY = "llm_latency";
    static final String LLM_PROMPT_TOKENS = "llm_prompt_tokens";
    static final String LLM_COMPLETION_TOKENS = "llm_completion_tokens";
    static final String LLM_PROMPT_TOKENS_DIST = "llm_prompt_tokens_dist";
    static final String LLM_COMPLETION_TOKENS_DIST = "llm_completion_tokens_dist";
    static final String LLM_ACTIVE_CONNECTIONS = "llm_active_connections";
    static final String AI_CACHE_HITS = "ai_cache_hits_total";
    static final String AI_CACHE_MISSES = "ai_cache_misses_total";
    static final String AI_CACHE_BYPASSES = "ai_cache_bypasses_total";

    private static final List<String> LLM_TAIL = List.of("consumer", "node", "request_type", "request_llm_model",
            "llm_model");

    /** The built-in labels of each metric, in APISIX's order (3.18). */
    static Map<String, List<String>> labelMap(boolean legacy) {
        Map<String, List<String>> m = new HashMap<>();
        List<String> status = new ArrayList<>(List.of("code", "route", "matched_uri", "matched_host", "service"));
        status.addAll(LLM_TAIL);
        if (!legacy) {
            status.add("response_source");
        }
        m.put(HTTP_STATUS, List.copyOf(status));
        m.put(HTTP_LATENCY, concat(List.of("type", "route", "service"), LLM_TAIL));
        m.put(BANDWIDTH, concat(List.of("type", "route", "service"), LLM_TAIL));
        m.put(LLM_LATENCY, concat(legacy ? List.of("route_id", "service_id") : List.of("type", "route_id", "service_id"),
                LLM_TAIL));
        List<String> tokens = concat(List.of("route_id", "service_id"), LLM_TAIL);
        m.put(LLM_PROMPT_TOKENS, tokens);
        m.put(LLM_COMPLETION_TOKENS, tokens);
        if (!legacy) {
            m.put(LLM_PROMPT_TOKENS_DIST, tokens);
            m.put(LLM_COMPLETION_TOKENS_DIST, tokens);
        }
        m.put(LLM_ACTIVE_CONNECTIONS, concat(List.of("route", "route_id", "matched_uri", "matched_host", "service",
                "service_id"), LLM_TAIL));
        if (!legacy) {
            List<String> cache = concat(List.of("route", "route_id", "service", "service_id"), LLM_TAIL);
            m.put(AI_CACHE_HITS, concat(List.of("layer"), cache));
            m.put(AI_CACHE_MISSES, cache);
            m.put(AI_CACHE_BYPASSES, cache);
        }
        return m;
    }

    /** Labels that {@code disabled_labels} may not name (APISIX's structural_labels). */
    static final Map<String, List<String>> STRUCTURAL = Map.of(HTTP_STATUS, List.of("code"),
            HTTP_LATENCY, List.of("type"), BANDWIDTH, List.of("type"), LLM_LATENCY, List.of("type"),
            AI_CACHE_HITS, List.of("layer"));

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return List.copyOf(l);
    }

    /** One metric: its registry object, built-in label count and extra label variables. */
    private static final class Def<M> {
        final String name;
        final M metric;
        final int builtin;
        final String[] extraVars;

        Def(String name, M metric, int builtin, List<String> extraVars) {
            this.name = name;
            this.metric = metric;
            this.builtin = builtin;
            this.extraVars = extraVars.toArray(String[]::new);
        }
    }

    private static final int MAX_MODEL_LABEL_BYTES = 128;
    private static final String[] CODES = new String[600];

    static {
        for (int i = 0; i < CODES.length; i++) {
            CODES[i] = Integer.toString(i);
        }
    }

    private final boolean legacy;
    private final Map<String, List<String>> labels;
    private final Def<Counter> status;
    private final Def<Histogram> latency;
    private final Def<Counter> bandwidth;
    private final Def<Histogram> llmLatency;
    private final Def<Counter> promptTokens;
    private final Def<Counter> completionTokens;
    private final Def<Histogram> promptDist;
    private final Def<Histogram> completionDist;
    private final Def<Gauge> active;
    private final Def<Counter> cacheHits;
    private final Def<Counter> cacheMisses;
    private final Def<Counter> cacheBypasses;
    private final Supplier<JsonObject> metadata;
    private final RouteLabels.Cache routes = new RouteLabels.Cache();
    /** disabled_labels compiled from one metadata object (compared by identity), with the series bound under them. */
    private volatile Disabled disabled = new Disabled(null, Map.of());
    /** No metric has extra_labels: a request's series follow from its {@link Dims}, so they can be bound once. */
    private final boolean bindable;

    private static final class Disabled {
        final JsonObject source;
        final Map<String, boolean[]> masks;
        final ConcurrentHashMap<Dims, Bound> bound = new ConcurrentHashMap<>();
        /**
         * The last dims looked up before proxying (the active gauge, code -1) and in the log phase:
         * consecutive requests of a route mostly share them, so these are compared field by field
         * before a key is built and hashed.
         */
        volatile Dims lastActive;
        volatile Dims lastLog;

        Disabled(JsonObject source, Map<String, boolean[]> masks) {
            this.source = source;
            this.masks = masks;
        }
    }

    /** Bound label combinations kept per {@link Disabled}; past this the cache starts over (hostile model names). */
    static final int MAX_BOUND = 4096;
    /** Bound combinations emptied from full caches (worked out again on their next request). */
    private final java.util.concurrent.atomic.AtomicLong boundCleared = new java.util.concurrent.atomic.AtomicLong();

    Recorder(MetricsRegistry reg, PrometheusAttr attr, Supplier<JsonObject> metadata) {
        this.legacy = attr.legacyLabels();
        this.labels = labelMap(legacy);
        this.metadata = metadata;
        reg.capOverflows("prometheus.label_cache", boundCleared::get);
        status = counter(reg, attr, HTTP_STATUS, "HTTP status codes per service in APISIX");
        latency = histogram(reg, attr, HTTP_LATENCY, "HTTP request latency in milliseconds per service in APISIX",
                attr.defaultBuckets());
        bandwidth = counter(reg, attr, BANDWIDTH, "Total bandwidth in bytes consumed per service in APISIX");
        llmLatency = histogram(reg, attr, LLM_LATENCY, "LLM request latency in milliseconds", attr.llmLatencyBuckets());
        promptTokens = counter(reg, attr, LLM_PROMPT_TOKENS, "LLM service consumed prompt tokens");
        completionTokens = counter(reg, attr, LLM_COMPLETION_TOKENS, "LLM service consumed completion tokens");
        promptDist = legacy ? null : histogram(reg, attr, LLM_PROMPT_TOKENS_DIST,
                "LLM prompt tokens distribution per request", attr.promptBuckets());
        completionDist = legacy ? null : histogram(reg, attr, LLM_COMPLETION_TOKENS_DIST,
                "LLM completion tokens distribution per request", attr.completionBuckets());
        cacheHits = legacy ? null : counter(reg, attr, AI_CACHE_HITS, "Total AI cache hits served, per cache layer");
        cacheMisses = legacy ? null : counter(reg, attr, AI_CACHE_MISSES, "Total AI cache misses");
        cacheBypasses = legacy ? null : counter(reg, attr, AI_CACHE_BYPASSES, "Total AI cache bypassed requests");
        PrometheusAttr.MetricAttr a = attr.metric(LLM_ACTIVE_CONNECTIONS);
        bindable = java.util.stream.Stream.of(status, latency, bandwidth, llmLatency, promptTokens, completionTokens,
                promptDist, completionDist).allMatch(d -> d == null || d.extraVars.length == 0)
                && attr.metric(LLM_ACTIVE_CONNECTIONS).labelVars().isEmpty();
        active = new Def<>(LLM_ACTIVE_CONNECTIONS, reg.gauge(LLM_ACTIVE_CONNECTIONS, "Number of active connections to LLM service",
                names(LLM_ACTIVE_CONNECTIONS, a), a.expire()), labels.get(LLM_ACTIVE_CONNECTIONS).size(), a.labelVars());
    }

    private List<String> names(String metric, PrometheusAttr.MetricAttr a) {
        for (String extra : a.labelNames()) {
            if (labels.get(metric).contains(extra)) {
                throw new ConfigException("invalid configuration: plugin_attr.prometheus.metrics." + metric + ".extra_labels: "
                        + extra + " is already a label of " + metric);
            }
        }
        return concat(labels.get(metric), a.labelNames());
    }

    private Def<Counter> counter(MetricsRegistry reg, PrometheusAttr attr, String name, String help) {
        PrometheusAttr.MetricAttr a = attr.metric(name);
        return new Def<>(name, reg.counter(name, help, names(name, a), a.expire()), labels.get(name).size(), a.labelVars());
    }

    private Def<Histogram> histogram(MetricsRegistry reg, PrometheusAttr attr, String name, String help, double[] buckets) {
        PrometheusAttr.MetricAttr a = attr.metric(name);
        return new Def<>(name, reg.histogram(name, help, names(name, a), buckets, a.expire()), labels.get(name).size(),
                a.labelVars());
    }

    // ------------------------------------------------------------------ per request

    /** The values one request shares between its metrics, computed once in the log phase. */
    private static final class Req {
        String route;      // id, or name with prefer_name
        String routeId;
        String routeName;  // "" when the route has none
        String service;
        String serviceId;
        String matchedUri;
        String matchedHost;
        String consumer;
        String node;
        String requestType;
        String requestModel;
        String model;
    }

    private Req common(RequestContext ctx, RouteLabels rl, boolean preferName) {
        Req r = new Req();
        r.routeId = rl.id();
        r.routeName = rl.name();
        r.route = preferName && !r.routeName.isEmpty() ? r.routeName : rl.id(); // APISIX: name or id
        r.serviceId = rl.serviceId();
        r.service = rl.serviceId();
        r.matchedUri = rl.matchedUri();
        r.matchedHost = rl.matchedHost();
        r.consumer = str(ctx.var("consumer_name"));
        r.requestType = requestType(ctx);
        r.node = node(ctx, rl, r.requestType);
        r.requestModel = model(ctx.var("request_llm_model"));
        r.model = model(ctx.var("llm_model"));
        return r;
    }

    private static String requestType(RequestContext ctx) {
        Object t = ctx.var("request_type");
        return t == null ? "traditional_http" : t.toString();
    }

    private static boolean isAi(String requestType) {
        return "ai_chat".equals(requestType) || "ai_stream".equals(requestType);
    }

    /** The last upstream address and its host: a node's address is one String object per node. */
    private record NodeHost(Object addr, String host) {
    }

    private volatile NodeHost lastNode = new NodeHost(null, "");

    /** APISIX's {@code ctx.balancer_ip}: the AI instance name, else the upstream node's address. */
    private String node(RequestContext ctx, RouteLabels rl, String requestType) {
        Object b = ctx.var("balancer_ip");
        if (b != null) {
            return b.toString();
        }
        if (rl.aiNode() != null && isAi(requestType)) {
            return rl.aiNode();
        }
        Object addr = ctx.var("upstream_addr");
        if (addr == null) {
            return "";
        }
        NodeHost last = lastNode;
        if (last.addr == addr) {
            return last.host; // the same node as the previous request: no substring per request
        }
        String host = host(addr.toString());
        lastNode = new NodeHost(addr, host);
        return host;
    }

    /** The host of {@code host:port}, {@code [v6]:port} or of the last of a retried list. */
    static String host(String a) {
        int comma = a.lastIndexOf(", ");
        if (comma >= 0) {
            a = a.substring(comma + 2); // retried: the node that answered last
        }
        int colon = a.lastIndexOf(':');
        if (colon > 0 && a.indexOf(':') == colon) {
            return a.substring(0, colon);
        }
        if (a.startsWith("[") && a.indexOf("]:") > 0) {
            return a.substring(1, a.indexOf("]:"));
        }
        return a;
    }

    /** Client-supplied model names: cut to 128 UTF-8 bytes; objects and arrays become {@code <non-scalar>}. */
    static String model(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof JsonObject || v instanceof JsonArray || v instanceof Map<?, ?> || v instanceof List<?>) {
            return "<non-scalar>";
        }
        String s = v.toString();
        if (s.length() <= MAX_MODEL_LABEL_BYTES / 4) {
            return s; // at most 4 bytes per char: surely short enough
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_MODEL_LABEL_BYTES) {
            return s;
        }
        int end = MAX_MODEL_LABEL_BYTES;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--; // never split a character
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    private static String str(Object v) {
        return v == null ? "" : v.toString();
    }

    private static double num(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private Disabled disabled() {
        JsonObject meta = metadata.get();
        Disabled d = disabled;
        if (d.source == meta) {
            return d;
        }
        Map<String, boolean[]> masks = new HashMap<>();
        JsonObject dl = meta == null ? null : meta.getJsonObject("disabled_labels");
        if (dl != null) {
            for (String metric : dl.fieldNames()) {
                List<String> builtins = labels.get(metric);
                JsonArray names = dl.getJsonArray(metric);
                if (builtins == null || names == null) {
                    continue;
                }
                boolean[] mask = new boolean[builtins.size()];
                for (int i = 0; i < builtins.size(); i++) {
                    mask[i] = names.contains(builtins.get(i));
                }
                masks.put(metric, mask);
            }
        }
        d = new Disabled(meta, Map.copyOf(masks));
        disabled = d;
        return d;
    }

    /** Built-in values (disabled ones collapsed), then the extra labels read from variables. */
    private static String[] values(Def<?> def, Map<String, boolean[]> masks, RequestContext ctx, String... builtin) {
        String[] out = builtin;
        if (def.extraVars.length > 0) {
            out = java.util.Arrays.copyOf(builtin, builtin.length + def.extraVars.length);
            for (int i = 0; i < def.extraVars.length; i++) {
                out[builtin.length + i] = str(ctx.var(def.extraVars[i]));
            }
        }
        boolean[] mask = masks.get(def.name);
        if (mask != null) {
            for (int i = 0; i < mask.length; i++) {
                if (mask[i]) {
                    out[i] = "";
                }
            }
        }
        return out;
    }

    // Series slots of a Bound, one per (metric, fixed label such as type) a request may update.
    private static final int STATUS = 0;
    private static final int LAT_REQUEST = 1;
    private static final int LAT_UPSTREAM = 2;
    private static final int LAT_APISIX = 3;
    private static final int BW_INGRESS = 4;
    private static final int BW_EGRESS = 5;
    private static final int LLM_TOTAL = 6;
    private static final int LLM_TTFT = 7;
    private static final int LLM_LEGACY = 8;
    private static final int PROMPT = 9;
    private static final int COMPLETION = 10;
    private static final int PROMPT_DIST = 11;
    private static final int COMPLETION_DIST = 12;
    private static final int ACTIVE = 13;
    private static final int SLOTS = 14;

    /**
     * What a request's label values are made of (the route's labels by identity, the per-request
     * variables, the status and response source): equal Dims mean equal label values for every
     * metric, so their series are bound once and reused.
     */
    private static final class Dims {
        final RouteLabels rl;
        final boolean preferName;
        final String consumer;
        final String node;
        final String requestType;
        final String requestModel;
        final String model;
        final int code;
        final String source;
        private final int hash;

        /** The series of these dims, set once the key is in the map (for the last-dims shortcut). */
        Bound bound;

        Dims(RouteLabels rl, boolean preferName, Req r, int code, String source) {
            this.rl = rl;
            this.preferName = preferName;
            this.consumer = r.consumer;
            this.node = r.node;
            this.requestType = r.requestType;
            this.requestModel = r.requestModel;
            this.model = r.model;
            this.code = code;
            this.source = source;
            int h = System.identityHashCode(rl) * 31 + (preferName ? 1 : 0);
            h = h * 31 + consumer.hashCode();
            h = h * 31 + node.hashCode();
            h = h * 31 + requestType.hashCode();
            h = h * 31 + requestModel.hashCode();
            h = h * 31 + model.hashCode();
            h = h * 31 + code;
            this.hash = h * 31 + (source == null ? 0 : source.hashCode());
        }

        /** Equal to the dims these values would make (without building or hashing them). */
        boolean matches(RouteLabels rl, boolean preferName, Req r, int code, String source) {
            return this.rl == rl && this.preferName == preferName && this.code == code && consumer.equals(r.consumer)
                    && node.equals(r.node) && requestType.equals(r.requestType) && requestModel.equals(r.requestModel)
                    && model.equals(r.model) && java.util.Objects.equals(this.source, source);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Dims d && d.hash == hash && d.rl == rl && d.preferName == preferName && d.code == code
                    && d.consumer.equals(consumer) && d.node.equals(node) && d.requestType.equals(requestType)
                    && d.requestModel.equals(requestModel) && d.model.equals(model)
                    && java.util.Objects.equals(d.source, source);
        }
    }

    /**
     * The series one {@link Dims} updates, bound on first use (a series is created only when a request
     * records into it, as before). Shared between event loops: two may bind the same slot at once,
     * which yields the same series.
     */
    private static final class Bound {
        final Object[] slots = new Object[SLOTS];
    }

    /** The Bound of these dims (cached when no metric has extra labels), or a fresh one for this request. */
    private Bound bound(Disabled d, RouteLabels rl, boolean preferName, Req r, int code, String source) {
        if (!bindable) {
            return new Bound();
        }
        Dims last = code < 0 ? d.lastActive : d.lastLog;
        if (last != null && last.matches(rl, preferName, r, code, source)) {
            return last.bound;
        }
        Dims key = new Dims(rl, preferName, r, code, source);
        Bound b = d.bound.get(key);
        if (b == null) {
            if (d.bound.size() >= MAX_BOUND) {
                boundCleared.addAndGet(d.bound.size());
                d.bound.clear(); // many distinct label values (models, consumers): start over rather than grow
            }
            b = d.bound.computeIfAbsent(key, k -> new Bound());
        }
        key.bound = b;
        if (code < 0) {
            d.lastActive = key; // published by the volatile write, with its bound
        } else {
            d.lastLog = key;
        }
        return b;
    }

    /** The series of a slot: the bound one while it lives, else bound now; null when the series cap dropped it. */
    @SuppressWarnings("unchecked")
    private <V extends LabeledMetric.Series> V series(Bound b, int slot, LabeledMetric<V> metric, Map<String, boolean[]> masks,
                                                      RequestContext ctx, Req r, String code, String source) {
        V v = (V) b.slots[slot];
        if (v == null || !v.live()) {
            v = metric.bind(labels(slot, masks, ctx, r, code, source));
            if (v != null) {
                b.slots[slot] = v;
            }
        }
        return v;
    }

    /** The label values of a slot's series, in APISIX's order (see {@link #labelMap}). */
    private String[] labels(int slot, Map<String, boolean[]> masks, RequestContext ctx, Req r, String code, String source) {
        return switch (slot) {
            case STATUS -> legacy
                    ? values(status, masks, ctx, code, r.route, r.matchedUri, r.matchedHost, r.service, r.consumer, r.node,
                            r.requestType, r.requestModel, r.model)
                    : values(status, masks, ctx, code, r.route, r.matchedUri, r.matchedHost, r.service, r.consumer, r.node,
                            r.requestType, r.requestModel, r.model, source);
            case LAT_REQUEST, LAT_UPSTREAM, LAT_APISIX -> values(latency, masks, ctx,
                    slot == LAT_REQUEST ? "request" : slot == LAT_UPSTREAM ? "upstream" : "apisix", r.route, r.service,
                    r.consumer, r.node, r.requestType, r.requestModel, r.model);
            case BW_INGRESS, BW_EGRESS -> values(bandwidth, masks, ctx, slot == BW_INGRESS ? "ingress" : "egress", r.route,
                    r.service, r.consumer, r.node, r.requestType, r.requestModel, r.model);
            case LLM_TOTAL, LLM_TTFT -> values(llmLatency, masks, ctx, slot == LLM_TOTAL ? "total" : "ttft", r.routeId,
                    r.serviceId, r.consumer, r.node, r.requestType, r.requestModel, r.model);
            case LLM_LEGACY -> values(llmLatency, masks, ctx, r.routeId, r.serviceId, r.consumer, r.node, r.requestType,
                    r.requestModel, r.model);
            case PROMPT, COMPLETION, PROMPT_DIST, COMPLETION_DIST -> values(slot == PROMPT ? promptTokens
                            : slot == COMPLETION ? completionTokens : slot == PROMPT_DIST ? promptDist : completionDist,
                    masks, ctx, r.routeId, r.serviceId, r.consumer, r.node, r.requestType, r.requestModel, r.model);
            case ACTIVE -> values(active, masks, ctx, r.routeName, r.routeId, r.matchedUri, r.matchedHost, r.service,
                    r.serviceId, r.consumer, r.node, r.requestType, r.requestModel, r.model);
            default -> throw new IllegalArgumentException("slot " + slot);
        };
    }

    private void inc(Bound b, int slot, Counter metric, double amount, Map<String, boolean[]> masks, RequestContext ctx,
                     Req r, String code, String source) {
        if (amount >= 0) { // as Counter.inc: no series for an amount it ignores
            Counter.Value v = series(b, slot, metric, masks, ctx, r, code, source);
            if (v != null) {
                v.inc(amount);
            }
        }
    }

    private void observe(Bound b, int slot, Histogram metric, double value, Map<String, boolean[]> masks,
                         RequestContext ctx, Req r, String code, String source) {
        if (!Double.isNaN(value)) { // as Histogram.observe
            Histogram.Value v = series(b, slot, metric, masks, ctx, r, code, source);
            if (v != null) {
                v.observe(value);
            }
        }
    }

    /** Log phase: everything APISIX's http_log records. */
    void log(RequestContext ctx, boolean preferName) {
        Disabled d = disabled();
        Map<String, boolean[]> masks = d.masks;
        RouteLabels rl = routes.of(ctx.route());
        Req r = common(ctx, rl, preferName);
        int code = ctx.status();
        String codeLabel = code >= 0 && code < CODES.length ? CODES[code] : Integer.toString(code);
        String source = legacy ? null : responseSource(ctx);
        Bound b = bound(d, rl, preferName, r, code, source);
        inc(b, STATUS, status.metric, 1, masks, ctx, r, codeLabel, source);

        long end = ctx.endNanos() != 0 ? ctx.endNanos() : System.nanoTime();
        double total = (end - ctx.startNanos()) / 1e6;
        double upstream = num(ctx.var("apisix_upstream_response_time"));
        observe(b, LAT_REQUEST, latency.metric, total, masks, ctx, r, codeLabel, source);
        observe(b, LAT_UPSTREAM, latency.metric, upstream, masks, ctx, r, codeLabel, source);
        double own = Double.isNaN(upstream) ? total : Math.max(0, total - upstream);
        observe(b, LAT_APISIX, latency.metric, own, masks, ctx, r, codeLabel, source);

        inc(b, BW_INGRESS, bandwidth.metric, num(ctx.var("request_length")), masks, ctx, r, codeLabel, source);
        inc(b, BW_EGRESS, bandwidth.metric, num(ctx.var("bytes_sent")), masks, ctx, r, codeLabel, source);

        if (!legacy) {
            cache(ctx, masks, r);
        }
        if (!isAi(r.requestType)) {
            return;
        }
        boolean stream = "ai_stream".equals(r.requestType);
        double ttft = num(ctx.var("llm_time_to_first_token"));
        if (ttft != 0 && code < 400) {
            if (legacy) {
                // 3.14–3.16: one series per label set, no type, time to first token only
                observe(b, LLM_LEGACY, llmLatency.metric, ttft, masks, ctx, r, codeLabel, source);
            } else {
                observe(b, LLM_TOTAL, llmLatency.metric, upstream, masks, ctx, r, codeLabel, source);
                if (stream) {
                    observe(b, LLM_TTFT, llmLatency.metric, ttft, masks, ctx, r, codeLabel, source);
                }
            }
        }
        double prompt = num(ctx.var("llm_prompt_tokens"));
        double completion = num(ctx.var("llm_completion_tokens"));
        prompt = Double.isNaN(prompt) ? 0 : prompt;
        completion = Double.isNaN(completion) ? 0 : completion;
        inc(b, PROMPT, promptTokens.metric, prompt, masks, ctx, r, codeLabel, source);
        inc(b, COMPLETION, completionTokens.metric, completion, masks, ctx, r, codeLabel, source);
        if (!legacy) {
            observe(b, PROMPT_DIST, promptDist.metric, prompt, masks, ctx, r, codeLabel, source);
            observe(b, COMPLETION_DIST, completionDist.metric, completion, masks, ctx, r, codeLabel, source);
        }
    }

    /**
     * APISIX's ai_cache counters, from the variables a cache plugin sets: {@code ai_cache_status}
     * ({@code HIT}, {@code MISS}, {@code BYPASS}) and {@code ai_cache_hit_layer} ({@code exact} by default).
     */
    private void cache(RequestContext ctx, Map<String, boolean[]> masks, Req r) {
        Object status = ctx.var("ai_cache_status");
        if (status == null) {
            return;
        }
        switch (status.toString()) {
            case "HIT" -> {
                Object layer = ctx.var("ai_cache_hit_layer");
                cacheHits.metric.inc(1, values(cacheHits, masks, ctx, layer == null ? "exact" : layer.toString(),
                        r.routeName, r.routeId, r.service, r.serviceId, r.consumer, r.node, r.requestType,
                        r.requestModel, r.model));
            }
            case "MISS" -> cacheMisses.metric.inc(1, values(cacheMisses, masks, ctx, r.routeName, r.routeId, r.service,
                    r.serviceId, r.consumer, r.node, r.requestType, r.requestModel, r.model));
            case "BYPASS" -> cacheBypasses.metric.inc(1, values(cacheBypasses, masks, ctx, r.routeName, r.routeId,
                    r.service, r.serviceId, r.consumer, r.node, r.requestType, r.requestModel, r.model));
            default -> {
            }
        }
    }

    /**
     * APISIX's {@code response_source} ({@code core.response.get_response_source}): {@code apisix} for
     * answers the gateway made itself (no route, a plugin's rejection), {@code nginx} when the HTTP
     * upstream failed before sending a response head (the gateway's 502/504), {@code upstream} for
     * what an upstream sent (an AI provider's answer relayed by ai-proxy included).
     */
    private static String responseSource(RequestContext ctx) {
        if (ctx.var("upstream_header_time") != null) {
            return "upstream";
        }
        if (ctx.exited() || ctx.upstream() == null) {
            return "apisix";
        }
        if (ctx.route() != null && ctx.upstream() == ctx.route().upstream()) {
            return "nginx";
        }
        return "upstream";
    }

    /**
     * The {@code llm_active_connections} series of a request about to be proxied, or null if it is not
     * an AI request or the series cap dropped it.
     */
    Gauge.Value activeSeries(RequestContext ctx, boolean preferName) {
        if (!isAi(requestType(ctx))) {
            return null; // most requests of a plain route: no labels to compute
        }
        Disabled d = disabled();
        RouteLabels rl = routes.of(ctx.route());
        Req r = common(ctx, rl, preferName);
        return series(bound(d, rl, preferName, r, -1, null), ACTIVE, active.metric, d.masks, ctx, r, null, null);
    }
}
