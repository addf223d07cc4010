package dev.aigw.plugins.limitcount;

import dev.aigw.gateway.limit.CounterPolicy;
import dev.aigw.gateway.limit.LocalCounters;
import dev.aigw.gateway.limit.RedisCounters;
import dev.aigw.gateway.limit.RedisSettings;
import dev.aigw.gateway.resource.SharedResources;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;

/**
 * The counter policy of one parsed configuration. A Redis client is acquired (shared by canonical
 * settings) on the first request that needs it, not when the configuration is parsed — the Admin API
 * parses only to validate — and given back by {@link #release()} when the route build drops the
 * configuration.
 */
public final class PolicyRef {

    private final RedisSettings redis;
    private final LocalCounters local;
    private final SharedResources shared;
    private final Vertx vertx;
    private final String prefix;
    private volatile CounterPolicy policy;
    private SharedResources.Lease<Redis> lease;
    private boolean released;

    /**
     * @param redis  the Redis settings, or null for the {@code local} policy
     * @param prefix the Redis key prefix ({@code plugin-<plugin name>})
     */
    public PolicyRef(RedisSettings redis, LocalCounters local, SharedResources shared, Vertx vertx, String prefix) {
        this.redis = redis;
        this.local = local;
        this.shared = shared;
        this.vertx = vertx;
        this.prefix = prefix;
        this.policy = redis == null ? local : null;
    }

    /** The policy, acquiring the shared Redis client on first use. */
    public CounterPolicy get() {
        CounterPolicy p = policy;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (policy == null) {
                if (released) {
                    throw new IllegalStateException("rate limiting configuration was replaced");
                }
                lease = shared.acquire("redis", redis.key(), () -> redis.create(vertx), Redis::close);
                policy = new RedisCounters(lease.get(), prefix, redis.timeoutMs());
            }
            return policy;
        }
    }

    public boolean isRedis() {
        return redis != null;
    }

    /** Gives the Redis client back (if one was taken). */
    public synchronized void release() {
        released = true;
        if (lease != null) {
            lease.release();
            lease = null;
        }
    }
}
