package dev.aigw.gateway.limit;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.util.concurrent.TimeUnit;

/**
 * APISIX's Redis state for {@code limit-req} (a leaky bucket per key, {@code limit_req:<key>} hash of
 * {@code excess} and {@code last}) and {@code limit-conn} (the requests in flight per key,
 * {@code limit_conn:<key>} sorted set of request ids scored by their expiry), each check one atomic
 * script as in {@code apisix/plugins/limit-req/util.lua} and {@code limit-conn/util.lua}, so every
 * gateway node shares the same state. (APISIX nodes on the same Redis use the same layout but their
 * own configuration version in the key, so they count apart.) Every call is bounded by the timeout.
 */
public final class RedisFlow {

    /** APISIX's limit-req commit script. ARGV: rate and burst (thousandths per second), now (ms), ttl (s). */
    static final String LEAKY = """
            local state = redis.call('hmget', KEYS[1], 'excess', 'last')
            local rate = tonumber(ARGV[1])
            local burst = tonumber(ARGV[2])
            local now = tonumber(ARGV[3])
            local excess
            if state[1] and state[2] then
              local elapsed = now - tonumber(state[2])
              excess = math.max(tonumber(state[1]) - rate * math.abs(elapsed) / 1000 + 1000, 0)
              if excess > burst then
                return {0, tostring(excess)}
              end
            else
              excess = 0
            end
            redis.call('hset', KEYS[1], 'excess', excess, 'last', now)
            redis.call('expire', KEYS[1], ARGV[4])
            return {1, tostring(excess)}
            """;

    /** APISIX's limit-conn incoming script. ARGV: limit (conn + burst), ttl (s), now (s), request id. */
    static final String CONN = """
            local limit = tonumber(ARGV[1])
            local ttl = tonumber(ARGV[2])
            local now = tonumber(ARGV[3])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now)
            local count = redis.call('ZCARD', KEYS[1])
            if count >= limit then
              return {0, count}
            end
            redis.call('ZADD', KEYS[1], now + ttl, ARGV[4])
            redis.call('EXPIRE', KEYS[1], ttl)
            return {1, count + 1}
            """;

    private static final RedisScript LEAKY_SCRIPT = new RedisScript(LEAKY);
    private static final RedisScript CONN_SCRIPT = new RedisScript(CONN);

    private RedisFlow() {
    }

    /**
     * One request into the leaky bucket {@code key}: its excess in thousandths of a request (the
     * delay is {@code excess / rate} seconds), or -1 when it is beyond the burst.
     *
     * @param rate  requests per second
     * @param burst requests that may wait
     */
    public static Future<Long> leakyIncoming(Redis redis, long timeoutMs, String key, double rate, double burst) {
        long r = Math.round(rate * 1000);
        long b = Math.round(burst * 1000);
        long ttl = (long) Math.ceil((double) b / r) + 1;
        return LEAKY_SCRIPT.eval(redis, timeoutMs, 1, "limit_req:" + key, Long.toString(r), Long.toString(b),
                Long.toString(System.currentTimeMillis()), Long.toString(ttl))
                .map(res -> res.get(0).toInteger() == 1 ? (long) Double.parseDouble(res.get(1).toString()) : -1L);
    }

    /**
     * One request in flight on {@code key} under {@code requestId}: the count including it, or -1 when
     * {@code limit} are already in flight. An entry left by a node that died expires after {@code ttlSec}.
     */
    public static Future<Long> connIncoming(Redis redis, long timeoutMs, String key, long limit, long ttlSec,
                                            String requestId) {
        return CONN_SCRIPT.eval(redis, timeoutMs, 1, "limit_conn:" + key, Long.toString(limit), Long.toString(ttlSec),
                Long.toString(System.currentTimeMillis() / 1000), requestId)
                .map(res -> res.get(0).toInteger() == 1 ? res.get(1).toLong() : -1L);
    }

    /** The request {@code requestId} on {@code key} has finished. */
    public static Future<Void> connLeaving(Redis redis, long timeoutMs, String key, String requestId) {
        return redis.send(Request.cmd(Command.ZREM).arg("limit_conn:" + key).arg(requestId))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty();
    }
}
