package dev.aigw.gateway.limit;

import dev.aigw.gateway.limit.CounterPolicy;
import dev.aigw.gateway.limit.LocalCounters;
import dev.aigw.gateway.limit.RedisCounters;
import dev.aigw.gateway.limit.RedisSettings;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.resource.SharedResources;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;

/**
 * The counter policy of one parsed configuration. A Redis client is acquired (shared by canonical
 * settings) on the first request that needs it, not when the configuration is parsed — the Admin API
 * parses only to validate — and given back by {@link #release()} when the route build drops the
 * configuration. The release waits {@value #GRACE_MS} ms: requests still running on the old
 * configuration finish their checks and settlements, and the configuration that replaces it (parsed
 * meanwhile, equal Redis settings) takes over the same client instead of reconnecting.
 */
public final class PolicyRef {

    /** How long a dropped configuration keeps its Redis client. */
    static final long GRACE_MS = 10_000;

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

    /**
     * The policy of a limit plugin's configuration: its {@code policy} and Redis fields
     * ({@link RedisSettings#of}), counters under {@code plugin-<plugin name>} in Redis.
     *
     * @param env the plugin's environment, or null while nothing was initialised (schema checks)
     */
    public static PolicyRef of(JsonObject conf, LocalCounters local, PluginEnv env, String pluginName) {
        return new PolicyRef(RedisSettings.of(conf), local, env == null ? null : env.shared(),
                env == null ? null : env.vertx(), "plugin-" + pluginName);
    }

    /**
     * The Redis side only, for plugins that keep their local state themselves (limit-req, limit-conn):
     * null for the {@code local} policy; keys under {@code prefix}.
     */
    public static PolicyRef redisOnly(JsonObject conf, PluginEnv env, String prefix) {
        RedisSettings redis = RedisSettings.of(conf);
        return redis == null ? null : new PolicyRef(redis, null, env == null ? null : env.shared(),
                env == null ? null : env.vertx(), prefix);
    }

    /** The policy, acquiring the shared Redis client on first use. */
    public CounterPolicy get() {
        CounterPolicy p = policy;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (policy == null) {
                policy = new RedisCounters(acquire(), prefix, redis.timeoutMs());
            }
            return policy;
        }
    }

    /**
     * The shared Redis client, acquired on first use (for plugins that run their own scripts on it:
     * limit-req, limit-conn). Only for a Redis policy.
     */
    public Redis client() {
        get();
        return lease.get();
    }

    /** The per-command timeout of the Redis policy. */
    public long timeoutMs() {
        return redis.timeoutMs();
    }

    private Redis acquire() {
        lease = shared.acquire("redis", redis.key(), () -> redis.create(vertx), Redis::close);
        if (released) {
            releaseLater(); // a request still running on a dropped configuration
        }
        return lease.get();
    }

    public boolean isRedis() {
        return redis != null;
    }

    /** Gives the Redis client back (if one was taken), after the grace period. */
    public synchronized void release() {
        released = true;
        releaseLater();
    }

    private void releaseLater() {
        SharedResources.Lease<Redis> l = lease;
        if (l == null) {
            return;
        }
        if (vertx == null) {
            l.release();
            return;
        }
        vertx.setTimer(GRACE_MS, id -> l.release());
    }
}
