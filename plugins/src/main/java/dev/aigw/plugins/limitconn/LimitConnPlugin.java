package dev.aigw.plugins.limitconn;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.plugins.limitcount.RateLimit;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * APISIX's {@code limit-conn} (priority 1003): resty.limit.conn's count of requests in flight per key.
 * Up to {@code conn} pass at once; the next {@code burst} are delayed (on a Vert.x timer) by
 * {@code default_conn_delay} seconds per full {@code conn} ahead of them, or exactly that delay with
 * {@code only_use_default_delay}; beyond, {@code rejected_code} (503) with {@code {"error_msg":
 * rejected_msg}} when set. The count is released in the log phase, when the response has ended or the
 * client went away. {@code conn} and {@code burst} may be {@code $var} templates (resolved per request);
 * the {@code rules} form and the {@code redis} policies are refused at configuration time for now.
 * Counters are capped at {@value #MAX_KEYS} keys; past the cap a new key is not limited
 * ({@code allow_degradation}) or refused with 500, and each such request is counted.
 */
public final class LimitConnPlugin implements Plugin<LimitConnPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(LimitConnPlugin.class);
    private static final Object HELD = new Object();
    static final int MAX_KEYS = 100_000;

    /** Parsed configuration; {@code conn}/{@code burst} are a Long or a variable template. */
    public record Config(Object conn, Object burst, double delay, boolean onlyDefaultDelay, String key,
                         boolean combination, int rejectedCode, String rejectedMsg, boolean allowDegradation,
                         String version) {
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
                "rules": {"type": "array"}
              },
              "oneOf": [
                {"required": ["conn", "burst", "default_conn_delay", "key"]},
                {"required": ["default_conn_delay", "rules"]}
              ]
            }
            """;

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
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        String policy = conf.getString("policy", "local");
        if (!"local".equals(policy)) {
            throw new PluginConfigException("policy " + policy + " is not supported by aigw's limit-conn yet; use local");
        }
        if (conf.containsKey("rules")) {
            throw new PluginConfigException("rules is not supported by aigw's limit-conn yet; use conn, burst and key");
        }
        return new Config(RateLimit.number(conf.getValue("conn")), RateLimit.number(conf.getValue("burst")),
                conf.getNumber("default_conn_delay").doubleValue(), conf.getBoolean("only_use_default_delay", false),
                conf.getString("key"), "var_combination".equals(conf.getString("key_type", "var")),
                conf.getInteger("rejected_code", 503), conf.getString("rejected_msg"),
                conf.getBoolean("allow_degradation", false), LimitKeys.confVersion(conf));
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
        String key = LimitKeys.counterKey(ctx, conf.version(),
                LimitKeys.value(ctx, conf.key(), conf.combination() ? "var_combination" : "var"));
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
            if (conf.rejectedMsg() != null) {
                ctx.exit(conf.rejectedCode(), new JsonObject().put("error_msg", conf.rejectedMsg()));
            } else {
                ctx.exit(conf.rejectedCode(), (String) null);
            }
            return Future.succeededFuture();
        }
        ctx.put(HELD, key);
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

    @Override
    public void log(Config conf, RequestContext ctx) {
        String key = ctx.get(HELD);
        if (key != null) {
            ctx.put(HELD, null);
            release(key);
        }
    }
}
