package dev.aigw.plugins.aicache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.RedisSchema;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.plugins.aiproxy.AiProxyConfig;
import dev.aigw.plugins.aiproxy.AiRequest;
import dev.aigw.plugins.aiproxy.AiVars;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxymulti.MultiConfig;
import dev.aigw.plugins.aiproxymulti.MultiInstance;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * APISIX 3.18's {@code ai-cache} (priority 1035, after ai-proxy / ai-proxy-multi at 1040 chose what
 * to call and before ai-rate-limiting at 1030, so a hit spends no token budget), exact layer.
 *
 * <p>{@code access} keys the effective request ({@link CacheKeys}) and looks it up: a hit answers
 * at once with the stored bytes (a stream replays the same SSE frames), {@code X-AI-Cache-Status:
 * HIT} and {@code X-AI-Cache-Age}; a miss leads a single flight — identical requests arriving
 * meanwhile wait for its answer instead of calling the provider (across nodes with Redis: a short
 * {@code SET NX} lock, the others poll for the entry; a waiter whose leader fails or takes too long
 * calls the provider itself). {@code header_filter} / {@code body_filter} capture a 200 answer (up to
 * {@code max_cache_body_size}); {@code log} stores it only when it is complete (a JSON body, or a
 * stream that reached its protocol's terminal event) and wakes the waiters.
 *
 * <p>Accounting: a hit records zero provider tokens (so ai-rate-limiting, prometheus and the request
 * log's cost count nothing) and hands loggers {@code cache_status} and {@code llm_cached_usage} (the
 * original call's tokens). The status is the variable {@code $cache_status} and, under APISIX's
 * names, {@code ai_cache_status} / {@code ai_cache_hit_layer}, from which the prometheus plugin counts
 * {@code ai_cache_hits_total}, {@code …_misses_total} and {@code …_bypasses_total} with its own
 * prefix, labels and options (this plugin registers no metric of its own).
 *
 * <p>A backend failure never fails a request: the cache is skipped (logged once per outage).
 */
public final class AiCachePlugin implements Plugin<AiCacheConfig> {

    static final Logger LOG = LoggerFactory.getLogger(AiCachePlugin.class);

    public static final String NAME = "ai-cache";
    public static final int PRIORITY = 1035;

    static final String KEY_PREFIX = "ai-cache:l1:";
    static final String STATUS_HEADER = "X-AI-Cache-Status";
    static final String AGE_HEADER = "X-AI-Cache-Age";
    /** Cloudflare-style per-request controls (cf-aig-skip-cache, cf-aig-cache-ttl, cf-aig-cache-key). */
    static final String SKIP_HEADER = "X-AI-Cache-Skip";
    static final String TTL_HEADER = "X-AI-Cache-TTL";
    static final String KEY_HEADER = "X-AI-Cache-Key";
    /** The longest TTL a client may ask for (Cloudflare's cap: one month). */
    static final long MAX_CLIENT_TTL = 30L * 24 * 3600;
    /** A client's own cache key longer than this is ignored (the key is hashed; this only bounds work). */
    static final int MAX_CLIENT_KEY = 1024;

    /** The log field and variable (the name): {@code HIT}, {@code MISS} or {@code BYPASS}. */
    public static final String VAR_CACHE_STATUS = "cache_status";
    /**
     * The same value under APISIX's name ({@code ctx.ai_cache_status}), and the layer of a hit
     * ({@code ctx.ai_cache_hit_layer}): what the prometheus plugin reads for {@code ai_cache_*_total}.
     */
    public static final String VAR_AI_CACHE_STATUS = "ai_cache_status";
    public static final String VAR_AI_CACHE_HIT_LAYER = "ai_cache_hit_layer";
    /** The original call's usage, on a hit (a log field): the hit itself spends no provider tokens. */
    public static final String FIELD_CACHED_USAGE = "llm_cached_usage";
    static final String HIT = "HIT";
    static final String MISS = "MISS";
    static final String BYPASS = "BYPASS";

    static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "layers": {"type": "array", "items": {"enum": ["exact"]}, "minItems": 1, "uniqueItems": true,
                           "default": ["exact"]},
                "exact": {"type": "object", "properties": {"ttl": {"type": "integer", "minimum": 1, "default": 3600}}},
                "cache_key": {
                  "type": "object",
                  "properties": {
                    "share_across_routes": {"type": "boolean", "default": false},
                    "include_consumer": {"type": "boolean", "default": false},
                    "include_vars": {"type": "array", "items": {"type": "string"}, "maxItems": 32}
                  }
                },
                "max_cache_body_size": {"type": "integer", "minimum": 0, "default": 1048576},
                "cache_headers": {"type": "boolean", "default": true},
                "fail_mode": {"type": "string", "enum": ["skip", "warn", "error"], "default": "skip"},
                "bypass_on": {
                  "type": "array", "minItems": 1,
                  "items": {"type": "object", "properties": {"header": {"type": "string", "minLength": 1},
                            "equals": {"type": "string"}}, "required": ["header", "equals"]}
                },
                "client_headers": {"type": "boolean", "default": true},
                "single_flight": {
                  "type": "object",
                  "properties": {
                    "enabled": {"type": "boolean", "default": true},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": 600000, "default": 30000}
                  }
                },
                "policy": {"type": "string", "enum": ["local", "redis"]}
              },
              "if": {"anyOf": [{"properties": {"policy": {"enum": ["redis"]}}, "required": ["policy"]},
                               {"not": {"required": ["policy"]}, "required": ["redis_host"]}]},
              "then": %s
            }
            """.formatted(RedisSchema.REDIS);

    private static final Object STATE = new Object();

    private PluginEnv env;
    private MemoryStore memory;
    private final Flights flights = new Flights();
    /** Descriptor of the effective instance(s) per parsed ai-proxy configuration (identity, weak). */
    private final Cache<Object, String> effective = Caffeine.newBuilder().weakKeys().maximumSize(100_000).build();
    private final AtomicBoolean backendDown = new AtomicBoolean();

    /** Per-request state. */
    static final class State {
        String status;
        String key;
        Flights.Flight flight;
        String lockToken;
        CacheStore store;
        long ttl;
        boolean capture;
        boolean oversized;
        boolean sse;
        Buffer buf;
        AiProtocol protocol;
        CacheEntry hit;
    }

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
        return SCHEMA;
    }

    /** As APISIX's schema: stored encrypted with {@code data_encryption}, plain in Admin GET. */
    @Override
    public List<String> encryptFields() {
        return List.of("redis_password");
    }

    @Override
    public void init(PluginEnv pluginEnv) {
        this.env = pluginEnv;
        JsonObject attr = pluginEnv.pluginAttr(NAME);
        this.memory = new MemoryStore(GatewayConfig.pluginAttrInteger(attr, NAME, "memory_max_bytes", 64L * 1024 * 1024, 0));
        pluginEnv.variables().register(VAR_CACHE_STATUS, AiCachePlugin::status);
        pluginEnv.variables().register(VAR_AI_CACHE_STATUS, AiCachePlugin::status);
        pluginEnv.variables().register(VAR_AI_CACHE_HIT_LAYER, ctx -> HIT.equals(status(ctx)) ? "exact" : null);
    }

    private static String status(RequestContext ctx) {
        State st = ctx.get(STATE);
        return st == null ? null : st.status;
    }

    @Override
    public AiCacheConfig parseConfig(JsonObject conf) throws PluginConfigException {
        MemoryStore mem = memory;
        Vertx vertx = env == null ? null : env.vertx();
        return AiCacheConfig.parse(conf, redis -> new AiCacheConfig.Backend(mem,
                redis, env == null ? null : env.shared(), vertx));
    }

    @Override
    public void release(AiCacheConfig conf) {
        conf.backend().release();
    }

    // ------------------------------------------------------------------ access

    @Override
    public Future<Void> access(AiCacheConfig conf, RequestContext ctx) {
        State st = new State();
        ctx.put(STATE, st);
        String desc = null;
        String model = null;
        JsonObject body = ctx.jsonBody();
        for (PluginBinding<?> b : ctx.plugins()) {
            if (b.config() instanceof AiProxyConfig c) {
                desc = effective.get(c, k -> CacheKeys.describe(c.instance()).encode());
                model = c.instance().optionsModel();
                break;
            }
            if (b.config() instanceof MultiConfig c) {
                desc = effective.get(c, k -> {
                    JsonArray a = new JsonArray();
                    for (MultiInstance mi : c.instances()) {
                        a.add(CacheKeys.describe(mi.instance()).put("name", mi.name()));
                    }
                    return new JsonObject().put("multi", a).encode();
                });
                break;
            }
        }
        MultiMap headers = ctx.request().headers();
        String skip = headers.get(SKIP_HEADER);
        String ttlHeader = headers.get(TTL_HEADER);
        String customKey = headers.get(KEY_HEADER);
        if (skip != null || ttlHeader != null || customKey != null) {
            // the gateway's own controls: never forwarded to the provider
            MultiMap up = ctx.proxyRequest().headers();
            up.remove(SKIP_HEADER);
            up.remove(TTL_HEADER);
            up.remove(KEY_HEADER);
        }
        if (desc == null || body == null) {
            if ("error".equals(conf.failMode())) {
                ctx.exit(500, "ai-cache must be used with the ai-proxy or ai-proxy-multi plugin");
                return Future.succeededFuture();
            }
            if ("warn".equals(conf.failMode())) {
                LOG.warn("ai-cache skipped: no ai instance picked (request did not pass through ai-proxy/ai-proxy-multi)");
            }
            st.status = BYPASS;
            return Future.succeededFuture();
        }
        AiRequest req = AiRequest.of(ctx, body, false);
        if (req == null || req.protocol() == AiProtocol.PASSTHROUGH) {
            st.status = BYPASS;
            return Future.succeededFuture();
        }
        if (conf.clientHeaders() && skip != null && isTrue(skip)) {
            st.status = BYPASS;
            return Future.succeededFuture();
        }
        for (AiCacheConfig.BypassRule r : conf.bypassOn()) {
            if (r.equals().equals(headers.get(r.header()))) {
                st.status = BYPASS;
                return Future.succeededFuture();
            }
        }
        st.protocol = req.protocol();
        st.ttl = conf.ttlSeconds();
        if (conf.clientHeaders() && ttlHeader != null) {
            try {
                long t = Long.parseLong(ttlHeader.trim());
                if (t >= 1) {
                    st.ttl = Math.min(t, MAX_CLIENT_TTL);
                }
            } catch (NumberFormatException ignored) {
                // not a number: the route's TTL
            }
        }
        String fp;
        if (conf.clientHeaders() && customKey != null && !customKey.isEmpty() && customKey.length() <= MAX_CLIENT_KEY) {
            fp = CacheKeys.customFingerprint(customKey, req.stream());
        } else {
            fp = CacheKeys.fingerprint(req, desc, model != null ? model : req.clientModel());
        }
        st.key = KEY_PREFIX + CacheKeys.scope(conf, ctx) + ":" + fp;
        st.status = MISS;
        CacheStore store;
        try {
            store = conf.backend().get();
        } catch (RuntimeException e) {
            st.status = BYPASS;
            return Future.succeededFuture();
        }
        st.store = store;
        Context context = Vertx.currentContext();
        Promise<Void> done = Promise.promise();
        store.get(st.key).onComplete(ar -> onContext(context, () -> {
            if (ar.succeeded()) {
                backendUp();
                if (ar.result() != null) {
                    serveHit(conf, ctx, st, ar.result());
                    done.complete();
                    return;
                }
                coalesce(conf, ctx, st, context, true).onComplete(v -> done.complete());
            } else {
                backendFailed("lookup", ar.cause());
                coalesce(conf, ctx, st, context, false).onComplete(v -> done.complete());
            }
        }));
        return done.future();
    }

    private static boolean isTrue(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        return s.equals("true") || s.equals("1") || s.equals("yes") || s.equals("on");
    }

    private static void onContext(Context context, Runnable r) {
        if (context == null || Vertx.currentContext() == context) {
            r.run();
        } else {
            context.runOnContext(v -> r.run());
        }
    }

    /** A miss: lead a flight, or wait for the one in progress. Completes when the request may go on. */
    private Future<Void> coalesce(AiCacheConfig conf, RequestContext ctx, State st, Context context,
                                  boolean backendOk) {
        if (!conf.singleFlight() || context == null) {
            return Future.succeededFuture();
        }
        Flights.Flight mine = new Flights.Flight(st.key);
        Flights.Flight f = flights.lead(mine, conf.waitMs());
        if (f != mine) {
            return flights.await(f, context, conf.waitMs()).map(entry -> {
                if (entry != null && !ctx.response().closed()) {
                    serveHit(conf, ctx, st, entry);
                }
                return null; // null: the leader failed or took too long, this request calls the provider
            });
        }
        st.flight = f;
        if (!backendOk || !st.store.distributed()) {
            return Future.succeededFuture();
        }
        String token = UUID.randomUUID().toString();
        Promise<Void> p = Promise.promise();
        st.store.lock(st.key, token, conf.waitMs()).onComplete(ar -> onContext(context, () -> {
            if (ar.failed()) {
                backendFailed("lock", ar.cause());
                p.complete();
            } else if (ar.result()) {
                st.lockToken = token;
                p.complete();
            } else {
                long deadline = System.nanoTime() + conf.waitMs() * 1_000_000;
                poll(conf, ctx, st, context, deadline, 20, p);
            }
        }));
        return p.future();
    }

    /** Another node leads: poll for its entry until it appears, the lock goes (leader failed) or time runs out. */
    private void poll(AiCacheConfig conf, RequestContext ctx, State st, Context context, long deadline,
                      long delayMs, Promise<Void> p) {
        if (System.nanoTime() - deadline >= 0 || ctx.response().closed()) {
            p.complete();
            return;
        }
        context.owner().setTimer(delayMs, id -> st.store.get(st.key).onComplete(ar -> onContext(context, () -> {
            if (ar.failed()) {
                backendFailed("lookup", ar.cause());
                p.complete();
                return;
            }
            if (ar.result() != null) {
                flights.finish(st.flight, ar.result()); // this node's waiters are served too
                st.flight = null;
                serveHit(conf, ctx, st, ar.result());
                p.complete();
                return;
            }
            st.store.locked(st.key).onComplete(lk -> onContext(context, () -> {
                if (lk.succeeded() && lk.result()) {
                    poll(conf, ctx, st, context, deadline, Math.min(100, delayMs * 2), p);
                } else {
                    p.complete(); // the leader gave up: call the provider ourselves
                }
            }));
        })));
    }

    private void serveHit(AiCacheConfig conf, RequestContext ctx, State st, CacheEntry entry) {
        st.status = HIT;
        st.hit = entry;
        ctx.setVar(AiVars.LLM_PROMPT_TOKENS, 0L);
        ctx.setVar(AiVars.LLM_COMPLETION_TOKENS, 0L);
        ctx.setVar(AiVars.LLM_TOTAL_TOKENS, 0L);
        if (entry.model() != null) {
            ctx.setVar(AiVars.LLM_MODEL, entry.model());
        }
        MultiMap h = ctx.response().headers();
        h.set(HttpHeaders.CONTENT_TYPE, entry.contentType());
        if (conf.cacheHeaders()) {
            long age = Math.max(0, System.currentTimeMillis() / 1000 - entry.createdAt());
            h.set(AGE_HEADER, Long.toString(age));
        }
        ctx.sendHead(200);
        ctx.exit(200, entry.body());
    }

    // ------------------------------------------------------------------ response

    @Override
    public void headerFilter(AiCacheConfig conf, RequestContext ctx) {
        State st = ctx.get(STATE);
        if (st == null || st.status == null) {
            return;
        }
        if (conf.cacheHeaders()) {
            ctx.response().headers().set(STATUS_HEADER, st.status);
        }
        if (MISS.equals(st.status) && ctx.response().getStatusCode() == 200) {
            String ct = ctx.response().headers().get(HttpHeaders.CONTENT_TYPE);
            String c = ct == null ? "" : ct.toLowerCase(Locale.ROOT);
            st.sse = c.startsWith("text/event-stream");
            st.capture = st.sse || c.startsWith("application/json");
        }
    }

    @Override
    public Buffer bodyFilter(AiCacheConfig conf, RequestContext ctx, Buffer chunk, boolean last) {
        State st = ctx.get(STATE);
        if (st == null || !st.capture || st.oversized || chunk.length() == 0) {
            return chunk;
        }
        if (st.buf == null) {
            st.buf = Buffer.buffer(Math.min(chunk.length() * 2, 16384));
        }
        if ((long) st.buf.length() + chunk.length() > conf.maxBodySize()) {
            st.oversized = true;
            st.buf = null;
            return chunk;
        }
        st.buf.appendBuffer(chunk);
        return chunk;
    }

    // ------------------------------------------------------------------ log

    @Override
    public void log(AiCacheConfig conf, RequestContext ctx) {
        State st = ctx.get(STATE);
        if (st == null || st.status == null) {
            return;
        }
        ctx.logFields().put(VAR_CACHE_STATUS, st.status);
        if (HIT.equals(st.status)) {
            CacheEntry e = st.hit;
            if (e.promptTokens() >= 0) {
                Map<String, Object> u = new LinkedHashMap<>();
                u.put("prompt_tokens", e.promptTokens());
                u.put("completion_tokens", e.completionTokens());
                u.put("total_tokens", e.promptTokens() + e.completionTokens());
                ctx.logFields().put(FIELD_CACHED_USAGE, u);
            }
            if (st.flight != null) {
                flights.finish(st.flight, e);
            }
            return;
        }
        if (!MISS.equals(st.status)) {
            return;
        }
        CacheEntry entry = cacheable(ctx, st) ? new CacheEntry(st.buf.toString(StandardCharsets.UTF_8),
                st.sse ? CacheEntry.SSE : CacheEntry.JSON, System.currentTimeMillis() / 1000,
                ctx.varString(AiVars.LLM_MODEL), num(ctx.var(AiVars.LLM_PROMPT_TOKENS)),
                num(ctx.var(AiVars.LLM_COMPLETION_TOKENS)), st.ttl) : null;
        st.buf = null;
        // stored before the flight ends: the memory store holds the entry at once, so an identical
        // request that comes after the flight ended (on another event loop) finds it instead of
        // missing; with Redis, that request waits on the lock until the entry is there
        Future<Void> stored = entry == null ? null : st.store.put(st.key, entry);
        if (st.flight != null) {
            flights.finish(st.flight, entry); // local waiters are answered now, without waiting for the store
        }
        if (stored == null) {
            unlock(st);
            return;
        }
        stored.onComplete(ar -> {
            if (ar.failed()) {
                backendFailed("store", ar.cause());
            }
            unlock(st); // after the entry is visible: other nodes' waiters find it
        });
    }

    private void unlock(State st) {
        if (st.lockToken != null) {
            st.store.unlock(st.key, st.lockToken).onFailure(err -> backendFailed("unlock", err));
            st.lockToken = null;
        }
    }

    /** A complete 200 answer within the size cap: a JSON object, or a stream that reached its terminal event. */
    private static boolean cacheable(RequestContext ctx, State st) {
        if (!st.capture || st.oversized || st.buf == null || st.buf.length() == 0 || ctx.status() != 200) {
            return false;
        }
        if (!st.sse) {
            String s = st.buf.toString(StandardCharsets.UTF_8).strip();
            return s.startsWith("{") && s.endsWith("}");
        }
        return streamCompleted(st.protocol, st.buf);
    }

    /**
     * True when the SSE bytes end, at a frame boundary, with the client protocol's terminal event
     * ({@code data: [DONE]}, Anthropic's {@code message_stop}, Responses' {@code response.completed}).
     */
    static boolean streamCompleted(AiProtocol protocol, Buffer buf) {
        int n = buf.length();
        String tail = buf.getString(Math.max(0, n - 512), n, "UTF-8");
        if (!(tail.endsWith("\n\n") || tail.endsWith("\r\n\r\n"))) {
            return false;
        }
        String t = tail.strip();
        int cut = Math.max(t.lastIndexOf("\n\n"), t.lastIndexOf("\r\n\r\n"));
        String last = cut < 0 ? t : t.substring(cut).strip();
        return switch (protocol) {
            case CHAT -> last.equals("data: [DONE]") || last.equals("data:[DONE]");
            case ANTHROPIC_MESSAGES -> last.contains("message_stop");
            case RESPONSES -> last.contains("response.completed");
            default -> false;
        };
    }

    private static long num(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v != null) {
            try {
                return Long.parseLong(v.toString());
            } catch (NumberFormatException ignored) {
                return -1;
            }
        }
        return -1;
    }

    private void backendFailed(String what, Throwable err) {
        if (backendDown.compareAndSet(false, true)) {
            LOG.warn("ai-cache: cache backend {} failed, serving without the cache until it answers again: {}",
                    what, err.getMessage());
        }
    }

    private void backendUp() {
        if (backendDown.get() && backendDown.compareAndSet(true, false)) {
            LOG.info("ai-cache: cache backend answers again");
        }
    }
}
