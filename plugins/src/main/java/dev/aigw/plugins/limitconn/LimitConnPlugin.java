package dev.aigw.plugins.limitconn;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.limit.RedisFlow;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.limit.PolicyRef;
import dev.aigw.plugins.limitcount.RateLimit;
import dev.aigw.gateway.limit.RedisSchema;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * APISIX's {@code limit-conn} (priority 1003): resty.limit.conn's count of requests in flight per key.
 * Up to {@code conn} pass at once; the next {@code burst} are delayed (on a Vert.x timer) by
 * {@code default_conn_delay} seconds per full {@code conn} ahead of them, or exactly that delay with
 * {@code only_use_default_delay}; beyond, {@code rejected_code} (503) with {@code {"error_msg":
 * rejected_msg}} when set. The count is released as the response's last chunk is written, or in the
 * log phase when the response never ended (the client went away). {@code conn} and {@code burst} may
 * be {@code $var} templates (resolved per request). APISIX 3.16's {@code rules} (each its own
 * {@code conn}, {@code burst} and key template) count one request on several keys. Policy
 * {@code local} counts in this node, capped at {@value #MAX_KEYS} keys; past the cap a new key is not limited
 * ({@code allow_degradation}) or refused with 500, and each such request is counted. Policies
 * {@code redis} and {@code redis-cluster} count in Redis as APISIX does (a {@code limit_conn:<key>}
 * sorted set of request ids, one atomic script per request, {@link RedisFlow}), shared by every node;
 * an entry whose request never left (a node that died) expires after {@code key_ttl} seconds. A Redis
 * error or timeout answers 500, or lets the request through with {@code allow_degradation}.
 */
public final class LimitConnPlugin implements Plugin<LimitConnPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(LimitConnPlugin.class);
    private static final Object HELD = new Object();
    static final int MAX_KEYS = 100_000;

    /**
     * Parsed configuration; {@code conn}/{@code burst} are a Long or a variable template. With
     * {@code rules} (APISIX 3.16), each rule counts on its own key and the top-level
     * {@code conn}/{@code burst}/{@code key} are absent.
     */
    public record Config(Object conn, Object burst, double delay, boolean onlyDefaultDelay, String key,
                         boolean combination, int rejectedCode, String rejectedMsg, boolean allowDegradation,
                         String version, PolicyRef redis, long keyTtl, List<Rule> rules) {
    }

    /** One of {@code rules}: {@code conn}/{@code burst} a Long or a template, {@code key} a template. */
    public record Rule(Object conn, Object burst, String key) {
    }

    /** A rule that applies to this request: its counter key and resolved numbers. */
    private record Applied(String key, long max, long burst) {
    }

    /** A request counted in Redis, to be removed in the log phase. */
    private record InRedis(PolicyRef ref, String key, String requestId) {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "conn": {"oneOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "string"}]},
                "burst": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]},
                "default_conn_delay": {"type": "number", "exclusiveMinimum": 0},
                "only_use_default_delay": {"type": "boolean", "default": false},
                "key": {"type": "string"},
                "key_type": {"type": "string", "enum": ["var", "var_combination"], "default": "var"},
                "policy": {"type": "string", "enum": ["redis", "redis-cluster", "local"], "default": "local"},
                "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
                "rejected_msg": {"type": "string", "minLength": 1},
                "allow_degradation": {"type": "boolean", "default": false},
                "key_ttl": {"type": "integer", "default": 3600},
                "rules": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {
                      "conn": {"oneOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "string"}]},
                      "burst": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]},
                      "key": {"type": "string"}
                    },
                    "required": ["conn", "burst", "key"]
                  }
                }
              },
              "oneOf": [
                {"required": ["conn", "burst", "default_conn_delay", "key"]},
                {"required": ["default_conn_delay", "rules"]}
              ],
            """ + RedisSchema.CONDITIONAL + "\n}";

    /** Request ids in Redis: unique across nodes (a random node part) and requests (a counter). */
    private static final String NODE = Long.toString(new java.security.SecureRandom().nextLong() & Long.MAX_VALUE, 36);
    private final AtomicLong sequence = new AtomicLong();
    private PluginEnv env;

    private final ConcurrentHashMap<String, Long> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    @Override
    public String name() {
        return "limit-conn";
    }

    @Override
    public int priority() {
        return 1003;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public List<String> encryptFields() {
        return List.of("redis_password");
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        env.metrics().capOverflows("limit-conn.keys", dropped::get);
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        List<Rule> rules = null;
        if (conf.getValue("rules") instanceof io.vertx.core.json.JsonArray a) {
            List<Rule> out = new java.util.ArrayList<>(a.size());
            for (int i = 0; i < a.size(); i++) {
                JsonObject r = a.getJsonObject(i);
                out.add(new Rule(RateLimit.number(r.getValue("conn")), RateLimit.number(r.getValue("burst")),
                        r.getString("key")));
            }
            rules = List.copyOf(out);
        }
        return new Config(RateLimit.number(conf.getValue("conn")), RateLimit.number(conf.getValue("burst")),
                conf.getNumber("default_conn_delay").doubleValue(), conf.getBoolean("only_use_default_delay", false),
                conf.getString("key"), "var_combination".equals(conf.getString("key_type", "var")),
                conf.getInteger("rejected_code", 503), conf.getString("rejected_msg"),
                conf.getBoolean("allow_degradation", false), LimitKeys.confVersion(conf),
                PolicyRef.redisOnly(conf, env, "limit_conn"), conf.getLong("key_ttl", 3600L), rules);
    }

    @Override
    public void release(Config conf) {
        if (conf.redis() != null) {
            conf.redis().release();
        }
    }

    private static long resolve(RequestContext ctx, Object v, boolean allowZero) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        int[] n = new int[1];
        String s = LimitKeys.template(ctx, (String) v, n).trim();
        try {
            long x = Long.parseLong(s);
            return x < 0 || (x == 0 && !allowZero) ? -1 : x;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Keys currently counted (for tests). */
    int keys() {
        return inFlight.size();
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        if (conf.rules() != null) {
            return accessRules(conf, ctx);
        }
        long max = resolve(ctx, conf.conn(), false);
        long burst = resolve(ctx, conf.burst(), true);
        if (max < 0 || burst < 0) {
            LOG.error("limit-conn: conn or burst did not resolve to a valid number on route {}",
                    ctx.route() == null ? null : ctx.route().id());
            if (!conf.allowDegradation()) {
                ctx.exit(500, (String) null);
            }
            return Future.succeededFuture();
        }
        return incoming(conf, ctx, LimitKeys.counterKey(ctx, conf.version(),
                LimitKeys.value(ctx, conf.key(), conf.combination() ? "var_combination" : "var")), max, burst);
    }

    /**
     * APISIX's {@code rules}: each rule whose numbers resolve and whose key template has a value counts
     * the request on its own key, in order; the first refusal answers (the counts already taken are
     * given back with the others), each delay is waited in turn. No rule applying is an error: 500,
     * or through with {@code allow_degradation}.
     */
    private Future<Void> accessRules(Config conf, RequestContext ctx) {
        List<Applied> applied = new java.util.ArrayList<>(conf.rules().size());
        int[] n = new int[1];
        for (Rule r : conf.rules()) {
            long max = resolve(ctx, r.conn(), false);
            long burst = resolve(ctx, r.burst(), true);
            n[0] = 0;
            String key = LimitKeys.template(ctx, r.key(), n);
            if (max >= 0 && burst >= 0 && n[0] > 0) {
                // the counter key now: the owner is this call's
                applied.add(new Applied(LimitKeys.counterKey(ctx, conf.version(), key), max, burst));
            }
        }
        if (applied.isEmpty()) {
            LOG.error("failed to get limit conn rules: none applies on route {}",
                    ctx.route() == null ? null : ctx.route().id());
            if (!conf.allowDegradation()) {
                ctx.exit(500, (String) null);
            }
            return Future.succeededFuture();
        }
        return nextRule(conf, ctx, applied, 0);
    }

    private Future<Void> nextRule(Config conf, RequestContext ctx, List<Applied> applied, int i) {
        if (i == applied.size() || ctx.exited()) {
            return Future.succeededFuture();
        }
        Applied a = applied.get(i);
        return incoming(conf, ctx, a.key(), a.max(), a.burst()).compose(v -> nextRule(conf, ctx, applied, i + 1));
    }

    /** One count on the counter {@code key}: taken and held, delayed, or refused. */
    private Future<Void> incoming(Config conf, RequestContext ctx, String key, long max, long burst) {
        if (conf.redis() != null) {
            return redisAccess(conf, ctx, key, max, burst);
        }
        if (!inFlight.containsKey(key)) {
            if (inFlight.size() >= MAX_KEYS) {
                long n = dropped.incrementAndGet();
                if (n == 1 || n % 10_000 == 0) {
                    LOG.error("limit-conn: {} keys in flight; {} requests not counted", MAX_KEYS, n);
                }
                if (!conf.allowDegradation()) {
                    ctx.exit(500, (String) null);
                }
                return Future.succeededFuture();
            }
        }
        long conn = inFlight.merge(key, 1L, Long::sum);
        if (conn > max + burst) {
            release(key);
            reject(conf, ctx);
            return Future.succeededFuture();
        }
        hold(ctx, key);
        return delay(conf, ctx, conn, max);
    }

    /** Remembers a count to give back: one key (the usual case, no list), or several with rules. */
    @SuppressWarnings("unchecked")
    private static void hold(RequestContext ctx, Object held) {
        Object cur = ctx.get(HELD);
        if (cur == null) {
            ctx.put(HELD, held);
        } else if (cur instanceof List<?> l) {
            ((List<Object>) l).add(held);
        } else {
            List<Object> all = new java.util.ArrayList<>(4);
            all.add(cur);
            all.add(held);
            ctx.put(HELD, all);
        }
    }

    private Future<Void> redisAccess(Config conf, RequestContext ctx, String key, long max, long burst) {
        PolicyRef ref = conf.redis();
        String id = NODE + "-" + Long.toString(sequence.incrementAndGet(), 36);
        return RedisFlow.connIncoming(ref.client(), ref.timeoutMs(), key, max + burst, conf.keyTtl(), id)
                .transform(ar -> {
                    if (ar.failed()) {
                        LOG.error("failed to limit conn: {}", ar.cause().toString());
                        if (!conf.allowDegradation()) {
                            ctx.exit(500, (String) null);
                        }
                        return Future.succeededFuture();
                    }
                    long conn = ar.result();
                    if (conn < 0) {
                        reject(conf, ctx);
                        return Future.succeededFuture();
                    }
                    hold(ctx, new InRedis(ref, key, id));
                    return delay(conf, ctx, conn, max);
                });
    }

    private static void reject(Config conf, RequestContext ctx) {
        if (conf.rejectedMsg() != null) {
            ctx.exit(conf.rejectedCode(), new JsonObject().put("error_msg", conf.rejectedMsg()));
        } else {
            ctx.exit(conf.rejectedCode(), (String) null);
        }
    }

    /** resty.limit.conn's delay for the {@code conn}-th request in flight, on a timer (never blocking). */
    private static Future<Void> delay(Config conf, RequestContext ctx, long conn, long max) {
        if (conn <= max) {
            return Future.succeededFuture();
        }
        double seconds = conf.onlyDefaultDelay() ? conf.delay() : conf.delay() * ((conn - 1) / max);
        long ms = Math.round(seconds * 1000);
        if (ms < 1) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        ctx.vertx().setTimer(ms, t -> p.complete());
        return p.future();
    }

    /** One request less on {@code key}; a count back at zero is removed, so the map holds live keys only. */
    private void release(String key) {
        inFlight.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
    }

    /**
     * The count is given back as the last of the response is handed to the connection, before its bytes
     * can reach the client: a client that sends its next request as soon as the previous one ended is
     * never refused for the request it just finished (with the log phase alone, it could be, by a
     * few microseconds, when the next request lands on another event loop).
     */
    @Override
    public Buffer bodyFilter(Config conf, RequestContext ctx, Buffer chunk, boolean last) {
        if (last) {
            leave(ctx);
        }
        return chunk;
    }

    /** The response never ended (the client went away, the upstream failed): given back here. */
    @Override
    public void log(Config conf, RequestContext ctx) {
        leave(ctx);
    }

    private void leave(RequestContext ctx) {
        Object held = ctx.get(HELD);
        if (held == null) {
            return;
        }
        ctx.put(HELD, null);
        if (held instanceof List<?> all) {
            all.forEach(this::giveBack);
        } else {
            giveBack(held);
        }
    }

    private void giveBack(Object held) {
        if (held instanceof InRedis r) {
            RedisFlow.connLeaving(r.ref().client(), r.ref().timeoutMs(), r.key(), r.requestId()).onFailure(e ->
                    LOG.error("failed to record the connection leaving request: {}", e.toString()));
        } else {
            release((String) held);
        }
    }
}
