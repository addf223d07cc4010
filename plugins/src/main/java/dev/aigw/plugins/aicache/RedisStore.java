package dev.aigw.plugins.aicache;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.concurrent.TimeUnit;

/**
 * The Redis backend (APISIX's {@code policy: redis}): the entry is APISIX's JSON envelope under the
 * L1 key with {@code SET … EX ttl}; the single-flight lock is {@code ai-cache:lock:…} taken with
 * {@code SET NX PX} and given back with a compare-and-delete script, so a slow leader whose lock
 * expired never deletes its successor's. Every command is bounded by {@code redis_timeout}.
 */
final class RedisStore implements CacheStore {

    private static final String UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then "
            + "return redis.call('del', KEYS[1]) else return 0 end";

    private final Redis redis;
    private final long timeoutMs;

    RedisStore(Redis redis, long timeoutMs) {
        this.redis = redis;
        this.timeoutMs = timeoutMs;
    }

    static String lockKey(String key) {
        return key.startsWith(AiCachePlugin.KEY_PREFIX)
                ? "ai-cache:lock:" + key.substring(AiCachePlugin.KEY_PREFIX.length()) : key + ":lock";
    }

    private Future<Response> send(Request r) {
        return redis.send(r).timeout(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public Future<CacheEntry> get(String key) {
        return send(Request.cmd(Command.GET).arg(key)).map(r -> r == null ? null : CacheEntry.fromJson(r.toString()));
    }

    @Override
    public Future<Void> put(String key, CacheEntry entry) {
        return send(Request.cmd(Command.SET).arg(key).arg(entry.toJson().encode()).arg("EX")
                .arg(Math.max(1, entry.ttlSeconds()))).mapEmpty();
    }

    @Override
    public Future<Boolean> lock(String key, String token, long ttlMs) {
        return send(Request.cmd(Command.SET).arg(lockKey(key)).arg(token).arg("NX").arg("PX").arg(Math.max(1, ttlMs)))
                .map(r -> r != null && "OK".equals(r.toString()));
    }

    @Override
    public Future<Boolean> locked(String key) {
        return send(Request.cmd(Command.EXISTS).arg(lockKey(key))).map(r -> r != null && r.toInteger() > 0);
    }

    @Override
    public Future<Void> unlock(String key, String token) {
        return send(Request.cmd(Command.EVAL).arg(UNLOCK).arg(1).arg(lockKey(key)).arg(token)).mapEmpty();
    }

    @Override
    public boolean distributed() {
        return true;
    }
}
