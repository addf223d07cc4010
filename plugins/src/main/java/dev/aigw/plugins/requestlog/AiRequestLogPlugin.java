package dev.aigw.plugins.requestlog;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.BatchProcessor;
import dev.aigw.gateway.log.BatchProcessorBacklog;
import dev.aigw.gateway.log.BatchProcessorConfig;
import dev.aigw.gateway.log.BatchProcessorManager;
import dev.aigw.gateway.log.LogEntry;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginAdminApi;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.route.RouteMemo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ai-request-log}: one database row per AI call — time, route, consumer, client IP,
 * provider, instance, requested and served model, status, latency, TTFT, prompt / completion /
 * cached tokens, cost, attempts and, when ai-proxy's {@code logging.payloads} is on, the prompt and
 * reply text with credentials masked. Usually enabled once on a global rule.
 *
 * <p>Rows are built in the log phase from the variables and log fields ai-proxy and ai-proxy-multi
 * already produce (nothing of theirs is called), pushed to the shared {@link BatchProcessor} and
 * written by one worker thread over JDBC: SQLite ({@code logs/requests.db}, the default) or
 * PostgreSQL ({@code plugin_attr.ai-request-log.dsn}). The gateway creates and migrates the schema.
 * When the database is down or slow, batches fail and their entries are dropped and counted (logged
 * at most once per {@value #FAILURE_LOG_INTERVAL_S} s), and beyond {@code max_pending_entries}
 * new entries are dropped: a request is never slowed or failed by its log row.
 *
 * <p>Cost: the price table in this plugin's metadata (shipped defaults, overridable) priced by the
 * served model; optionally a trusted request header sets a call's cost instead. The cost is the
 * {@code $llm_cost} variable for the access log and the other loggers.
 *
 * <p>Admin API: {@code GET /apisix/admin/ai-request-log/spend} (spend per consumer, route and
 * model over a time range) and {@code …/stats} (rows written, failed, dropped, pending).
 */
public final class AiRequestLogPlugin implements Plugin<RequestLogConfig>, PluginAdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AiRequestLogPlugin.class);

    public static final String NAME = "ai-request-log";
    public static final String BATCH_NAME = "ai request log";
    /** After ai-proxy (1040) and ai-proxy-multi (1041) in the log phase, so their log fields are there. */
    public static final int PRIORITY = 398;

    /** The call's cost in US dollars, plain decimal ({@code 0.000125}); unset when unknown. */
    public static final String VAR_LLM_COST = "llm_cost";
    /** ai-cache's {@code HIT} / {@code MISS} / {@code BYPASS}: stored with the row; a hit costs 0. */
    static final String VAR_CACHE_STATUS = "cache_status";
    /** Cached prompt tokens, if an AI plugin sets them. */
    public static final String VAR_CACHED_TOKENS = "llm_cached_tokens";

    static final String DEFAULT_DSN = "sqlite:logs/requests.db";
    static final int FAILURE_LOG_INTERVAL_S = 10;
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(15);
    private static final int MAX_SPEND_GROUPS = 10_000;

    /** Request-scoped: a cost set by the trusted header ({@link Double}, or {@code double[]{in, out}} per token). */
    private static final Object CUSTOM_COST = new Object();

    private record Metadata(JsonObject source, PriceTable prices) {
    }

    private record Cost(double dollars, String source) {
    }

    private static final Cost CACHE_HIT = new Cost(0, "cache");

    private final String schema = RequestLogSchema.schema(BATCH_NAME);
    private final String metadataSchema = RequestLogSchema.metadataSchema();
    private final AtomicReference<Metadata> metadata = new AtomicReference<>();
    private final RouteMemo<Providers> providers = new RouteMemo<>(100_000, Providers::of);
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong failedSinceLog = new AtomicLong();
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(FAILURE_LOG_INTERVAL_S));

    private volatile PluginEnv env;
    private volatile RequestLogDb db;
    private volatile WorkerExecutor worker;
    private volatile BatchProcessorManager<LogRow> processors;
    private Future<Void> closing;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public String schema() {
        return schema;
    }

    @Override
    public String metadataSchema() {
        return metadataSchema;
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        env.variables().register(VAR_LLM_COST, ctx -> {
            Cost c = cost(ctx);
            return c == null ? null : plain(c.dollars());
        });
        if (!env.variables().isKnown(VAR_CACHE_STATUS)) {
            env.variables().register(VAR_CACHE_STATUS, ctx -> null); // ai-cache not enabled
        }
        if (!env.variables().isKnown(VAR_CACHED_TOKENS)) {
            env.variables().register(VAR_CACHED_TOKENS, ctx -> null);
        }
        JsonObject attr = env.pluginAttr(NAME);
        Object dsn = attr.getValue("dsn", DEFAULT_DSN);
        RequestLogDb.Target target;
        try {
            target = RequestLogDb.Target.parse(String.valueOf(dsn), env.prefix());
        } catch (RuntimeException e) {
            // not fatal: requests must not depend on their log; say it once, loudly, and log nothing
            LOG.error("ai-request-log: plugin_attr.ai-request-log.dsn is invalid ({}): request logging is disabled",
                    e.getMessage());
            return;
        }
        this.db = new RequestLogDb(target);
        // one thread: SQLite has one writer anyway, and it keeps JDBC off every event loop
        this.worker = env.vertx().createSharedWorkerExecutor("aigw-request-log", 1, 2, TimeUnit.MINUTES);
        this.processors = new BatchProcessorManager<>(env.vertx(),
                new BatchProcessorBacklog(BATCH_NAME, this::maxPendingEntries));
        env.metrics().capOverflows(NAME + ".backlog", processors::dropped);
        if (!attr.containsKey("dsn")) {
            return; // the default SQLite file is created with the first row, not by every gateway that starts
        }
        // a configured database: create or migrate the schema now, so a wrong DSN shows at start
        worker.<Void>executeBlocking(() -> {
            db.open();
            return null;
        }, true).onComplete(ar -> {
            if (ar.succeeded()) {
                LOG.info("ai-request-log: writing to {}", target.display());
            } else {
                LOG.error("ai-request-log: cannot open {}: {} (rows are dropped until it is reachable)",
                        target.display(), ar.cause().getMessage());
            }
        });
    }

    private int maxPendingEntries() {
        JsonObject meta = env.pluginMetadata(NAME);
        Integer v = meta == null ? null : meta.getInteger("max_pending_entries");
        return v == null ? BatchProcessorBacklog.DEFAULT_MAX_PENDING_ENTRIES : v;
    }

    // ------------------------------------------------------------------ configuration

    @Override
    public RequestLogConfig parseConfig(JsonObject conf) {
        return new RequestLogConfig(conf.getString("custom_cost_header"), conf.getBoolean("log_all_requests", false),
                conf.getInteger("max_payload_bytes", 65536), BatchProcessorConfig.from(conf, BATCH_NAME));
    }

    @Override
    public void release(RequestLogConfig conf) {
        BatchProcessorManager<LogRow> m = processors;
        if (m != null) {
            m.release(k -> k == conf);
        }
    }

    // ------------------------------------------------------------------ phases

    /** Takes the trusted cost header off the request, so it never reaches the provider. */
    @Override
    public Future<Void> rewrite(RequestLogConfig conf, RequestContext ctx) {
        if (conf.customCostHeader() != null) {
            String v = ctx.request().getHeader(conf.customCostHeader());
            if (v != null) {
                ctx.proxyRequest().headers().remove(conf.customCostHeader());
                Object parsed = parseCustomCost(v);
                if (parsed != null) {
                    ctx.put(CUSTOM_COST, parsed);
                } else {
                    LOG.warn("ai-request-log: ignoring invalid {} header, request {}", conf.customCostHeader(),
                            ctx.requestId());
                }
            }
        }
        return Future.succeededFuture();
    }

    /** A number of dollars, or Cloudflare's {@code {"per_token_in": x, "per_token_out": y}}; null if neither. */
    static Object parseCustomCost(String v) {
        String s = v.trim();
        try {
            if (s.startsWith("{")) {
                JsonObject o = new JsonObject(s);
                Object in = o.getValue("per_token_in");
                Object out = o.getValue("per_token_out");
                if (in instanceof Number i && out instanceof Number u && i.doubleValue() >= 0 && u.doubleValue() >= 0) {
                    return new double[] {i.doubleValue(), u.doubleValue()};
                }
                if (o.getValue("total_cost") instanceof Number t && t.doubleValue() >= 0) {
                    return t.doubleValue();
                }
                return null;
            }
            double d = Double.parseDouble(s);
            return d >= 0 && Double.isFinite(d) ? d : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void log(RequestLogConfig conf, RequestContext ctx) {
        BatchProcessorManager<LogRow> m = processors;
        if (m == null) {
            return;
        }
        String type = ctx.varString("request_type");
        if (!conf.allRequests() && (type == null || "traditional_http".equals(type))) {
            return; // not an AI call
        }
        LogRow row;
        try {
            row = row(conf, ctx, type);
        } catch (RuntimeException e) {
            LOG.error("ai-request-log: cannot build the row of request {}: {}", ctx.requestId(), e.toString());
            return;
        }
        if (row.cost() != null) {
            ctx.setVar(VAR_LLM_COST, plain(row.cost())); // computed once: the access log reads this value
        }
        m.push(conf, conf.batch(), () -> handler(conf), row, row.bytes());
    }

    private BatchProcessor.Handler<LogRow> handler(RequestLogConfig conf) {
        return (batch, max) -> worker.<Void>executeBlocking(() -> {
            List<LogRow> rows = new ArrayList<>(batch.size());
            for (LogRow r : batch) {
                rows.add(r.masked(conf.maxPayloadBytes()));
            }
            db.insert(rows);
            return null;
        }, true).onSuccess(v -> written.addAndGet(batch.size()))
                .onFailure(e -> writeFailed(batch.size(), e));
    }

    /** Counts entries of a failed write; one log line per interval, not one per batch, during an outage. */
    private void writeFailed(int n, Throwable e) {
        failed.addAndGet(n);
        failedSinceLog.addAndGet(n);
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if (now - last >= TimeUnit.SECONDS.toNanos(FAILURE_LOG_INTERVAL_S) && lastFailureLog.compareAndSet(last, now)) {
            LOG.error("ai-request-log: cannot write to {}: {}; entries not written since last report: {}, total: {}",
                    db.target().display(), e.getMessage(), failedSinceLog.getAndSet(0), failed.get());
        }
    }

    private LogRow row(RequestLogConfig conf, RequestContext ctx, String type) {
        Route route = ctx.route();
        String instance = ctx.varString("ai_proxy_multi_instance");
        Long prompt = LogEntry.toLong(ctx.var("llm_prompt_tokens"));
        Long completion = LogEntry.toLong(ctx.var("llm_completion_tokens"));
        Long cached = LogEntry.toLong(ctx.var(VAR_CACHED_TOKENS));
        Long total = LogEntry.toLong(ctx.var("llm_total_tokens"));
        Integer attempts = toInt(ctx.var("ai_proxy_multi_attempts"));
        Integer upstreamStatus = toInt(lastOf(ctx.varString("upstream_status")));
        if (attempts == null && upstreamStatus != null) {
            attempts = 1;
        }
        String requestModel = ctx.varString("request_llm_model");
        String model = ctx.varString("llm_model");
        String cacheStatus = ctx.varString(VAR_CACHE_STATUS);
        Cost cost = cost(ctx, cacheStatus, prompt, completion, cached, model != null ? model : requestModel);
        long end = ctx.endNanos() != 0 ? ctx.endNanos() : System.nanoTime();
        String requestText = null;
        String responseText = null;
        Map<String, Object> fields = ctx.logFields();
        // cut to twice the cap now (bounded memory while pending); masked and cut to the cap on the worker
        // (a secret that straddles the first cut lies beyond the final cut, so no partial key survives)
        int preCut = conf.maxPayloadBytes() > Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE : conf.maxPayloadBytes() * 2;
        if (fields.get("llm_request") instanceof Map<?, ?> req && req.get("messages") != null) {
            requestText = cut(Json.encode(req.get("messages")), preCut);
        }
        if (fields.get("llm_response_text") instanceof Map<?, ?> resp && resp.get("content") != null) {
            responseText = cut(String.valueOf(resp.get("content")), preCut);
        }
        return new LogRow(ctx.startMillis(), ctx.requestId(),
                route == null ? null : route.id(), route == null ? null : route.name(),
                ctx.varString("consumer_name"), clientIp(ctx), type, route == null ? null : providers.of(route).of(instance),
                instance,
                requestModel, model, ctx.status(), upstreamStatus,
                (end - ctx.startNanos()) / 1_000_000.0, LogEntry.toLong(ctx.var("llm_time_to_first_token")),
                prompt, completion, cached, total,
                cost == null ? null : cost.dollars(), cost == null ? null : cost.source(), attempts,
                cacheStatus, requestText, responseText,
                requestText == null && responseText == null ? List.of() : clientSecrets(ctx));
    }

    private static String clientIp(RequestContext ctx) {
        String v = ctx.varString("remote_addr");
        if (v == null && ctx.request().remoteAddress() != null) {
            v = ctx.request().remoteAddress().hostAddress();
        }
        return v;
    }

    /**
     * The providers of a route's own AI plugin configuration (read as data, not through the plugin):
     * ai-proxy's, or ai-proxy-multi's per instance name. Derived once per route version.
     */
    private record Providers(String single, Map<String, String> byInstance) {

        static Providers of(Route route) {
            if (route.definition() == null || !(route.definition().getValue("plugins") instanceof JsonObject plugins)) {
                return new Providers(null, Map.of());
            }
            if (plugins.getValue("ai-proxy") instanceof JsonObject single) {
                return new Providers(single.getValue("provider") instanceof String p ? p : null, Map.of());
            }
            Map<String, String> byInstance = new HashMap<>();
            if (plugins.getValue("ai-proxy-multi") instanceof JsonObject multi
                    && multi.getValue("instances") instanceof JsonArray instances) {
                for (Object o : instances) {
                    if (o instanceof JsonObject i && i.getValue("name") instanceof String name
                            && i.getValue("provider") instanceof String p) {
                        byInstance.putIfAbsent(name, p);
                    }
                }
            }
            return new Providers(null, byInstance);
        }

        String of(String instance) {
            return single != null || instance == null ? single : byInstance.get(instance);
        }
    }

    /** The credentials this client sent (masked wherever they appear in its prompt or the reply). */
    private static List<String> clientSecrets(RequestContext ctx) {
        List<String> literals = new ArrayList<>(2);
        for (String h : LogEntry.MASKED_HEADERS) {
            String v = ctx.request().getHeader(h);
            if (v != null) {
                literals.add(v);
                int sp = v.indexOf(' ');
                if (sp > 0) {
                    literals.add(v.substring(sp + 1).trim()); // "Bearer <key>": the key alone too
                }
            }
        }
        return literals;
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    // ------------------------------------------------------------------ cost

    private PriceTable prices() {
        JsonObject m = env.pluginMetadata(NAME);
        if (m == null) {
            return PriceTable.DEFAULT;
        }
        Metadata cur = metadata.get();
        if (cur != null && cur.source == m) {
            return cur.prices;
        }
        Metadata next = new Metadata(m, PriceTable.fromMetadata(m));
        metadata.set(next);
        return next.prices;
    }

    /**
     * The call's cost: 0 for an answer from ai-cache (no provider was paid), else the trusted
     * header's, else the price table's for the served model; null if unknown.
     */
    private Cost cost(RequestContext ctx) {
        String model = ctx.varString("llm_model");
        return cost(ctx, ctx.varString(VAR_CACHE_STATUS), LogEntry.toLong(ctx.var("llm_prompt_tokens")),
                LogEntry.toLong(ctx.var("llm_completion_tokens")), LogEntry.toLong(ctx.var(VAR_CACHED_TOKENS)),
                model != null ? model : ctx.varString("request_llm_model"));
    }

    /** {@link #cost(RequestContext)} from values the caller has already read (the log phase reads each once). */
    private Cost cost(RequestContext ctx, String cacheStatus, Long prompt, Long completion, Long cached, String model) {
        if ("HIT".equals(cacheStatus)) {
            return CACHE_HIT;
        }
        Object custom = ctx.get(CUSTOM_COST);
        if (custom instanceof Double d) {
            return new Cost(d, "header");
        }
        if (custom instanceof double[] perToken) {
            return new Cost(perToken[0] * nz(prompt) + perToken[1] * nz(completion), "header");
        }
        if (prompt == null && completion == null) {
            return null;
        }
        Double d = prices().cost(model, nz(prompt), nz(completion), nz(cached));
        return d == null ? null : new Cost(d, "price");
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    /** Dollars as a plain decimal, at most 10 places ({@code 0.0000125}, never {@code 1.25E-5}). */
    static String plain(double d) {
        // Exactly plainSlow's result, without its decimal conversion (the log phase's dearest step):
        // below 2^50 units of 1e-10, d * 1e10 and Double.toString(d) * 1e10 differ by less than 0.2,
        // so away from a tie (fraction within 0.25 of .5) both round half-up to the same integer.
        if (d >= 0 && d < 100_000) {
            double scaled = d * 1e10;
            double frac = scaled - Math.floor(scaled);
            if (Math.abs(frac - 0.5) > 0.25) {
                return units(Math.round(scaled));
            }
        }
        return plainSlow(d);
    }

    static String plainSlow(double d) {
        return BigDecimal.valueOf(d).setScale(10, java.math.RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    /** {@code n} units of 1e-10 as a plain decimal without trailing zeros ({@code 4500000} → {@code 0.00045}). */
    private static String units(long n) {
        long whole = n / 10_000_000_000L;
        long frac = n % 10_000_000_000L;
        if (frac == 0) {
            return Long.toString(whole);
        }
        int digits = 10;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        String f = Long.toString(frac);
        StringBuilder sb = new StringBuilder(24).append(whole).append('.');
        for (int i = f.length(); i < digits; i++) {
            sb.append('0');
        }
        return sb.append(f).toString();
    }

    private static String lastOf(String s) {
        if (s == null) {
            return null;
        }
        int comma = s.lastIndexOf(',');
        return comma < 0 ? s.trim() : s.substring(comma + 1).trim();
    }

    private static Integer toInt(Object v) {
        Long l = LogEntry.toLong(v);
        return l == null ? null : (int) (long) l;
    }

    // ------------------------------------------------------------------ Admin API

    @Override
    public String adminResource() {
        return NAME;
    }

    @Override
    public Future<Reply> adminRequest(String method, String subPath, Map<String, String> args) {
        if (db == null) {
            return Future.succeededFuture(new Reply(503, new JsonObject()
                    .put("error_msg", "request log disabled: invalid plugin_attr.ai-request-log.dsn")));
        }
        if (!method.equals("get")) {
            return Future.succeededFuture(new Reply(405,
                    new JsonObject().put("error_msg", "not supported `" + method.toUpperCase() + "` method for " + NAME)));
        }
        return switch (subPath) {
            case "spend" -> spend(args);
            case "stats" -> Future.succeededFuture(new Reply(200, stats()));
            default -> Future.succeededFuture(new Reply(404, new JsonObject().put("error_msg", "not found")));
        };
    }

    /** Rows written, entries whose write failed, entries dropped at the backlog cap, entries pending. */
    JsonObject stats() {
        BatchProcessorManager<LogRow> m = processors;
        return new JsonObject()
                .put("database", db.target().postgres() ? "postgresql" : "sqlite")
                .put("written", written.get())
                .put("failed", failed.get())
                .put("dropped", m == null ? 0 : m.dropped())
                .put("pending", m == null ? 0 : m.pending());
    }

    private Future<Reply> spend(Map<String, String> args) {
        long now = System.currentTimeMillis();
        long to;
        long from;
        try {
            to = args.containsKey("end") ? time(args.get("end")) : now + 1;
            from = args.containsKey("start") ? time(args.get("start")) : to - Duration.ofDays(30).toMillis();
        } catch (IllegalArgumentException e) {
            return bad(e.getMessage());
        }
        if (from > to) {
            return bad("invalid argument start: must not be after end");
        }
        List<String> groupBy = new ArrayList<>();
        String g = args.getOrDefault("group_by", "consumer,route,model");
        for (String d : g.split(",")) {
            String dim = d.trim();
            if (dim.isEmpty() || dim.equals("none")) {
                continue;
            }
            if (RequestLogDb.column(dim) == null) {
                return bad("invalid argument group_by: unknown dimension " + dim
                        + " (use consumer, route, model, provider, instance)");
            }
            if (!groupBy.contains(dim)) {
                groupBy.add(dim);
            }
        }
        List<String[]> filters = new ArrayList<>();
        for (String dim : List.of("consumer", "route", "model", "provider", "instance")) {
            String v = args.get(dim);
            if (v != null) {
                filters.add(new String[] {dim, v});
            }
        }
        int limit;
        try {
            limit = Integer.parseInt(args.getOrDefault("limit", "1000"));
        } catch (NumberFormatException e) {
            return bad("invalid argument limit: should be an integer");
        }
        if (limit < 1 || limit > MAX_SPEND_GROUPS) {
            return bad("invalid argument limit: should be between 1 and " + MAX_SPEND_GROUPS);
        }
        int lim = limit;
        return worker.<JsonObject>executeBlocking(() -> db.spend(from, to, groupBy, filters, lim), true)
                .map(r -> new Reply(200, new JsonObject()
                        .put("start", Instant.ofEpochMilli(from).toString())
                        .put("end", Instant.ofEpochMilli(to).toString())
                        .put("group_by", new JsonArray(new ArrayList<>(groupBy)))
                        .put("currency", "USD")
                        .mergeIn(r)))
                .recover(e -> Future.succeededFuture(new Reply(503, new JsonObject()
                        .put("error_msg", "request log database unavailable: " + e.getMessage()))));
    }

    private static Future<Reply> bad(String msg) {
        return Future.succeededFuture(new Reply(400, new JsonObject().put("error_msg", msg)));
    }

    /** Unix seconds (may have a fraction) or ISO-8601 ({@code 2026-01-31T00:00:00Z}) → epoch millis. */
    static long time(String v) {
        String s = v.trim();
        try {
            return (long) (Double.parseDouble(s) * 1000);
        } catch (NumberFormatException e) {
            try {
                return Instant.parse(s).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("invalid argument time " + v
                        + ": use unix seconds or ISO-8601 such as 2026-01-31T00:00:00Z");
            }
        }
    }

    // ------------------------------------------------------------------ shutdown

    /** Writes what is pending (bounded wait), then closes the database and the worker. */
    @Override
    public synchronized Future<Void> close() {
        if (closing == null) {
            closing = doClose();
        }
        return closing;
    }

    private Future<Void> doClose() {
        BatchProcessorManager<LogRow> m = processors;
        if (m == null || worker == null) {
            return Future.succeededFuture();
        }
        Promise<Void> flushed = Promise.promise();
        m.close().onComplete(ar -> flushed.tryComplete());
        long timer = env.vertx().setTimer(FLUSH_TIMEOUT.toMillis(), id -> flushed.tryComplete());
        return flushed.future().compose(v -> {
            env.vertx().cancelTimer(timer);
            if (m.pending() > 0) {
                LOG.warn("ai-request-log: {} entries still pending at shutdown", m.pending());
            }
            return worker.<Void>executeBlocking(() -> {
                db.close();
                return null;
            }, true);
        }).eventually(() -> worker.close());
    }
}
