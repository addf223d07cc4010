package dev.aigw.plugins.aicache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.vertx.core.Future;

import java.time.Duration;

/**
 * The in-process backend: one Caffeine cache per gateway, bounded by (approximate) bytes, each entry
 * expiring after its own TTL (the route's {@code exact.ttl} or the request's {@code X-AI-Cache-TTL}).
 * What the bound evicts is counted by Caffeine's statistics ({@link #evictions()}).
 */
final class MemoryStore implements CacheStore {

    private final Cache<String, CacheEntry> cache;

    MemoryStore(long maxBytes) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String k, CacheEntry v) -> v.weight(k))
                .expireAfter(Expiry.writing((String k, CacheEntry v) -> Duration.ofSeconds(Math.max(1, v.ttlSeconds()))))
                .executor(Runnable::run) // maintenance inline: no common-pool threads for a cheap cleanup
                .recordStats()
                .build();
    }

    @Override
    public Future<CacheEntry> get(String key) {
        return Future.succeededFuture(cache.getIfPresent(key));
    }

    @Override
    public Future<Void> put(String key, CacheEntry entry) {
        cache.put(key, entry);
        return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> lock(String key, String token, long ttlMs) {
        return Future.succeededFuture(true);
    }

    @Override
    public Future<Boolean> locked(String key) {
        return Future.succeededFuture(false);
    }

    @Override
    public Future<Void> unlock(String key, String token) {
        return Future.succeededFuture();
    }

    @Override
    public boolean distributed() {
        return false;
    }

    long evictions() {
        return cache.stats().evictionCount();
    }

    long size() {
        return cache.estimatedSize();
    }
}
