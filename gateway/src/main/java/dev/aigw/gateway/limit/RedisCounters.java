package dev.aigw.gateway.limit;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;

/**
 * Counters in Redis, shared by every gateway node: each check is one Lua script ({@link RedisScript}),
 * so a check is one round trip and atomic. Keys are APISIX's:
 * {@code <prefix>:v1:<key>} for a fixed window (the value is what was consumed, the TTL the window).
 * Every call is bounded by the configured timeout, so a Redis that stops answering fails the check
 * instead of holding the request.
 */
public final class RedisCounters implements CounterPolicy {

    /** Fixed window. ARGV: limit, window (s), cost, conditional ("1": add only if it fits). Returns {accepted, consumed, pttl}. */
    static final String FIXED = """
            local limit = tonumber(ARGV[1])
            local cost = tonumber(ARGV[3])
            local ttl = redis.call('pttl', KEYS[1])
            if ttl < 0 then
              if ARGV[4] == '1' and cost > limit then
                return {0, 0, tonumber(ARGV[2]) * 1000}
              end
              redis.call('set', KEYS[1], cost, 'EX', ARGV[2])
              return {cost <= limit and 1 or 0, cost, tonumber(ARGV[2]) * 1000}
            end
            local cur = tonumber(redis.call('get', KEYS[1]) or '0')
            if ARGV[4] == '1' and cur + cost > limit then
              return {0, cur, ttl}
            end
            local v = redis.call('incrby', KEYS[1], cost)
            return {v <= limit and 1 or 0, v, ttl}
            """;

    /** Settle. ARGV: delta, window (s). A negative delta never goes below 0 nor revives an ended window. */
    static final String SETTLE = """
            local d = tonumber(ARGV[1])
            local ttl = redis.call('pttl', KEYS[1])
            if ttl < 0 then
              if d > 0 then
                redis.call('set', KEYS[1], d, 'EX', ARGV[2])
              end
              return 0
            end
            local v = redis.call('incrby', KEYS[1], d)
            if v < 0 then
              redis.call('set', KEYS[1], 0, 'KEEPTTL')
              v = 0
            end
            return v
            """;

    /**
     * Sliding window (APISIX's check_and_incr, with the previous window read in the same script).
     * KEYS: current, previous. ARGV: cost, limit, window (s), remaining time (s), expiry (s).
     * Returns {accepted, current count, previous count}.
     */
    static final String SLIDING = """
            local cost = tonumber(ARGV[1])
            local limit = tonumber(ARGV[2])
            local window = tonumber(ARGV[3])
            local remaining = tonumber(ARGV[4])
            local last = tonumber(redis.call('get', KEYS[2]) or '0')
            if last > limit then
              last = limit
            end
            local ttl = redis.call('pttl', KEYS[1])
            local cur = 0
            if ttl >= 0 then
              cur = tonumber(redis.call('get', KEYS[1]) or '0')
            end
            if cur >= limit or last / window * remaining + cur >= limit then
              return {0, cur, last}
            end
            local new
            if ttl < 0 then
              redis.call('set', KEYS[1], cost, 'EX', ARGV[5])
              new = cost
            else
              new = redis.call('incrby', KEYS[1], cost)
            end
            return {1, new, last}
            """;

    private static final RedisScript FIXED_SCRIPT = new RedisScript(FIXED);
    private static final RedisScript SETTLE_SCRIPT = new RedisScript(SETTLE);
    private static final RedisScript SLIDING_SCRIPT = new RedisScript(SLIDING);

    private final Redis redis;
    private final String prefix;
    private final long timeoutMs;

    /**
     * @param redis     a (shared) client
     * @param prefix    the plugin's key prefix, {@code plugin-limit-count} or {@code plugin-ai-rate-limiting}
     * @param timeoutMs bound on each check
     */
    public RedisCounters(Redis redis, String prefix, long timeoutMs) {
        this.redis = redis;
        this.prefix = prefix;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public Future<Count> incoming(String key, long limit, long windowSec, long cost) {
        return fixed(key, limit, windowSec, cost, "0");
    }

    @Override
    public Future<Count> reserve(String key, long limit, long windowSec, long cost) {
        return fixed(key, limit, windowSec, cost, "1");
    }

    private Future<Count> fixed(String key, long limit, long windowSec, long cost, String conditional) {
        return FIXED_SCRIPT.eval(redis, timeoutMs, 1, prefix + ":v1:" + key, Long.toString(limit), Long.toString(windowSec),
                Long.toString(cost), conditional)
                .map(r -> new Count(r.get(0).toInteger() == 1, r.get(1).toLong(), Math.max(0, r.get(2).toLong())));
    }

    @Override
    public Future<Void> settle(String key, long windowSec, long delta) {
        if (delta == 0) {
            return Future.succeededFuture();
        }
        return SETTLE_SCRIPT.eval(redis, timeoutMs, 1, prefix + ":v1:" + key, Long.toString(delta), Long.toString(windowSec))
                .mapEmpty();
    }

    @Override
    public Future<Count> sliding(String key, long limit, long windowSec, long cost) {
        long windowMs = windowSec * 1000;
        long nowMs = System.currentTimeMillis();
        long wid = nowMs / windowMs;
        long remainingMs = windowMs - nowMs % windowMs;
        // one hash tag for both windows: a cluster keeps them in one slot, so one script sees both
        String base = "{" + prefix + ":" + key + "}.";
        double remainingSec = remainingMs / 1000.0;
        return SLIDING_SCRIPT.eval(redis, timeoutMs, 2, base + wid + ".counter", base + (wid - 1) + ".counter",
                Long.toString(cost), Long.toString(limit), Long.toString(windowSec), Double.toString(remainingSec),
                Long.toString(windowSec * 2))
                .map(r -> {
                    boolean ok = r.get(0).toInteger() == 1;
                    long cur = r.get(1).toLong();
                    long last = r.get(2).toLong();
                    double estimated = (double) last / windowSec * remainingSec;
                    return new Count(ok, ok ? (long) Math.ceil(cur + estimated) : limit, remainingMs);
                });
    }
}
