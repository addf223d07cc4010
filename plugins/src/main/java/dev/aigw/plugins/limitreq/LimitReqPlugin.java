package dev.aigw.plugins.limitreq;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.limit.PolicyRef;
import dev.aigw.gateway.limit.RedisFlow;
import dev.aigw.gateway.limit.RedisSchema;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * APISIX's {@code limit-req} (priority 1001, access phase): resty.limit.req's leaky bucket per key —
 * {@code rate} requests per second drain the bucket, up to {@code burst} requests wait their turn
 * (delayed on a Vert.x timer, never by blocking; {@code nodelay} lets them through at once), beyond that
 * the request is refused with {@code rejected_code} (503) and {@code {"error_msg": rejected_msg}} when
 * set. Policy {@code local} keeps the buckets in this node, capped at {@value #MAX_KEYS} keys; past the
 * cap a new key is not limited ({@code allow_degradation}) or refused with 500, and each such request
 * is counted. Policies {@code redis} and {@code redis-cluster} keep them in Redis as APISIX does
 * ({@code limit_req:<key>}, one atomic script per request, {@link RedisFlow}), shared by every node; a
 * Redis error or timeout ({@code redis_timeout}) answers 500, or lets the request through with
 * {@code allow_degradation}.
 */
public final class LimitReqPlugin implements Plugin<LimitReqPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(LimitReqPlugin.class);
    static final int MAX_KEYS = 100_000;

    /** Parsed configuration. Rates are in requests per second; {@code redis} is null for the local policy. */
    public record Config(double rate, double burst, String key, boolean combination, int rejectedCode,
                         String rejectedMsg, boolean nodelay, boolean allowDegradation, String version,
                         PolicyRef redis) {
    }

    /** One bucket: excess (in thousandths of a request, as resty.limit.req) and the last update. */
    private static final class Bucket {
        long excess;
        long lastMillis;
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "rate": {"type": "number", "exclusiveMinimum": 0},
                "burst": {"type": "number", "minimum": 0},
                "key": {"type": "string"},
                "key_type": {"type": "string", "enum": ["var", "var_combination"], "default": "var"},
                "policy": {"type": "string", "enum": ["redis", "redis-cluster", "local"], "default": "local"},
                "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
                "rejected_msg": {"type": "string", "minLength": 1},
                "nodelay": {"type": "boolean", "default": false},
                "allow_degradation": {"type": "boolean", "default": false}
              },
              "required": ["rate", "burst", "key"],
            """ + RedisSchema.CONDITIONAL + "\n}";

    private PluginEnv env;

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    @Override
    public String name() {
        return "limit-req";
    }

    @Override
    public int priority() {
        return 1001;
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
        env.metrics().capOverflows("limit-req.keys", dropped::get);
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        PolicyRef ref = PolicyRef.redisOnly(conf, env, "limit_req");
        return new Config(conf.getNumber("rate").doubleValue(), conf.getNumber("burst").doubleValue(),
                conf.getString("key"), "var_combination".equals(conf.getString("key_type", "var")),
                conf.getInteger("rejected_code", 503), conf.getString("rejected_msg"),
                conf.getBoolean("nodelay", false), conf.getBoolean("allow_degradation", false),
                LimitKeys.confVersion(conf), ref);
    }

    @Override
    public void release(Config conf) {
        if (conf.redis() != null) {
            conf.redis().release();
        }
    }

    /** Drops buckets that have drained (idle for longer than they take to empty): keeps the map small. */
    private void sweep(long now) {
        buckets.entrySet().removeIf(e -> {
            Bucket b = e.getValue();
            synchronized (b) {
                return now - b.lastMillis > 60_000 && b.excess == 0 || now - b.lastMillis > 3_600_000;
            }
        });
    }

    /**
     * resty.limit.req's incoming: the delay in milliseconds, or -1 when refused. Package-private for
     * unit tests.
     */
    long incoming(String key, Config conf, long now) {
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= MAX_KEYS) {
                sweep(now);
                if (buckets.size() >= MAX_KEYS) {
                    return Long.MIN_VALUE;
                }
            }
            b = buckets.computeIfAbsent(key, k -> new Bucket());
        }
        long rate = Math.round(conf.rate() * 1000);
        long burst = Math.round(conf.burst() * 1000);
        synchronized (b) {
            // requests of other event loops may take the lock with an earlier clock reading: time
            // never runs backwards for a bucket (resty's abs() would drain it twice)
            long t = Math.max(now, b.lastMillis);
            long excess = 0;
            if (b.lastMillis != 0) {
                long elapsed = t - b.lastMillis;
                excess = Math.max(b.excess - rate * elapsed / 1000 + 1000, 0);
            }
            if (excess > burst) {
                return -1;
            }
            b.excess = excess;
            b.lastMillis = t;
            return excess * 1000 / rate;
        }
    }

    /** Requests that met the key cap, for the logs and tests. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        String key = LimitKeys.counterKey(ctx, conf.version(),
                LimitKeys.value(ctx, conf.key(), conf.combination() ? "var_combination" : "var"));
        if (conf.redis() != null) {
            PolicyRef ref = conf.redis();
            return RedisFlow.leakyIncoming(ref.client(), ref.timeoutMs(), key, conf.rate(), conf.burst())
                    .transform(ar -> {
                        if (ar.failed()) {
                            LOG.error("failed to limit req: {}", ar.cause().toString());
                            if (!conf.allowDegradation()) {
                                ctx.exit(500, (String) null);
                            }
                            return Future.succeededFuture();
                        }
                        long excess = ar.result();
                        return excess < 0 ? reject(conf, ctx) : delay(conf, ctx, Math.round(excess / conf.rate()));
                    });
        }
        long delay = incoming(key, conf, System.currentTimeMillis());
        if (delay == Long.MIN_VALUE) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 10_000 == 0) {
                LOG.error("limit-req: {} keys reached; {} requests not limited by a bucket", MAX_KEYS, n);
            }
            if (!conf.allowDegradation()) {
                ctx.exit(500, (String) null);
            }
            return Future.succeededFuture();
        }
        return delay < 0 ? reject(conf, ctx) : delay(conf, ctx, delay);
    }

    private static Future<Void> reject(Config conf, RequestContext ctx) {
        if (conf.rejectedMsg() != null) {
            ctx.exit(conf.rejectedCode(), new JsonObject().put("error_msg", conf.rejectedMsg()));
        } else {
            ctx.exit(conf.rejectedCode(), (String) null);
        }
        return Future.succeededFuture();
    }

    /** Waits {@code delayMs} on a timer (never blocking) unless {@code nodelay}. */
    private static Future<Void> delay(Config conf, RequestContext ctx, long delayMs) {
        if (delayMs >= 1 && !conf.nodelay()) {
            Promise<Void> p = Promise.promise();
            ctx.vertx().setTimer(delayMs, t -> p.complete());
            return p.future();
        }
        return Future.succeededFuture();
    }
}
