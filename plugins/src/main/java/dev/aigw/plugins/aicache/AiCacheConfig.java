package dev.aigw.plugins.aicache;

import dev.aigw.gateway.limit.RedisSettings;
import dev.aigw.gateway.resource.SharedResources;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;

import java.util.ArrayList;
import java.util.List;

/**
 * ai-cache's parsed configuration (APISIX 3.18's exact layer plus aigw's extensions).
 *
 * @param ttlSeconds         {@code exact.ttl}
 * @param shareAcrossRoutes  {@code cache_key.share_across_routes}
 * @param includeConsumer    {@code cache_key.include_consumer}
 * @param includeVars        {@code cache_key.include_vars}
 * @param maxBodySize        {@code max_cache_body_size}: larger answers are not stored
 * @param cacheHeaders       {@code cache_headers}: send {@code X-AI-Cache-Status} / {@code X-AI-Cache-Age}
 * @param failMode           {@code fail_mode}: {@code skip}, {@code warn} or {@code error} without ai-proxy
 * @param bypassOn           {@code bypass_on} rules
 * @param clientHeaders      {@code client_headers} (aigw): honour {@code X-AI-Cache-Skip/TTL/Key}
 * @param singleFlight       {@code single_flight.enabled} (aigw)
 * @param waitMs             {@code single_flight.timeout} (aigw): how long a duplicate waits for the first
 * @param redis              the Redis settings, or null for the in-process cache
 * @param backend            the store of this configuration (Redis acquired lazily)
 */
record AiCacheConfig(int ttlSeconds, boolean shareAcrossRoutes, boolean includeConsumer, List<String> includeVars,
                     long maxBodySize, boolean cacheHeaders, String failMode, List<BypassRule> bypassOn,
                     boolean clientHeaders, boolean singleFlight, long waitMs, RedisSettings redis, Backend backend) {

    /** One {@code bypass_on} rule: the request header equals the value. */
    record BypassRule(String header, String equals) {
    }

    static AiCacheConfig parse(JsonObject c, Backend.Factory backends) {
        JsonObject exact = c.getJsonObject("exact", new JsonObject());
        JsonObject ck = c.getJsonObject("cache_key", new JsonObject());
        List<String> vars = new ArrayList<>();
        for (Object o : ck.getJsonArray("include_vars", new JsonArray())) {
            vars.add(String.valueOf(o));
        }
        List<BypassRule> rules = new ArrayList<>();
        for (Object o : c.getJsonArray("bypass_on", new JsonArray())) {
            JsonObject r = (JsonObject) o;
            rules.add(new BypassRule(r.getString("header"), r.getString("equals")));
        }
        JsonObject sf = c.getJsonObject("single_flight", new JsonObject());
        // APISIX has only "redis" (and requires redis_host); without a Redis host aigw caches in process
        String policy = c.getString("policy", c.getString("redis_host") != null ? "redis" : "local");
        RedisSettings redis = "redis".equals(policy) ? RedisSettings.of(c.copy().put("policy", "redis")) : null;
        return new AiCacheConfig(exact.getInteger("ttl", 3600), ck.getBoolean("share_across_routes", false),
                ck.getBoolean("include_consumer", false), List.copyOf(vars), c.getLong("max_cache_body_size", 1048576L),
                c.getBoolean("cache_headers", true), c.getString("fail_mode", "skip"), List.copyOf(rules),
                c.getBoolean("client_headers", true), sf.getBoolean("enabled", true), sf.getLong("timeout", 30000L),
                redis, backends.create(redis));
    }

    /**
     * The store of one configuration: the plugin's in-process cache, or a Redis client shared by
     * canonical settings (with limit-count and ai-rate-limiting when they point at the same server),
     * acquired on the first request — never while the Admin API only validates — and given back on
     * {@link #release()}.
     */
    static final class Backend {

        /** Makes backends for parsed configurations. */
        interface Factory {
            Backend create(RedisSettings redis);
        }

        private final CacheStore memory;
        private final RedisSettings redis;
        private final SharedResources shared;
        private final Vertx vertx;
        private volatile CacheStore store;
        private SharedResources.Lease<Redis> lease;
        private boolean released;

        Backend(CacheStore memory, RedisSettings redis, SharedResources shared, Vertx vertx) {
            this.memory = memory;
            this.redis = redis;
            this.shared = shared;
            this.vertx = vertx;
            this.store = redis == null ? memory : null;
        }

        CacheStore get() {
            CacheStore s = store;
            if (s != null) {
                return s;
            }
            synchronized (this) {
                if (store == null) {
                    if (released) {
                        throw new IllegalStateException("ai-cache configuration was replaced");
                    }
                    lease = shared.acquire("redis", redis.key(), () -> redis.create(vertx), Redis::close);
                    store = new RedisStore(lease.get(), redis.timeoutMs());
                }
                return store;
            }
        }

        synchronized void release() {
            released = true;
            if (lease != null) {
                lease.release();
                lease = null;
            }
        }
    }
}
