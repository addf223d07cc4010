package dev.aigw.plugins.aicache;

import io.vertx.core.Future;

/**
 * Where cached answers live. Every call completes on a Vert.x thread and never blocks; a backend
 * failure fails the future (the plugin then fails open: the request goes to the provider).
 */
interface CacheStore {

    /** The entry under {@code key}, or null. */
    Future<CacheEntry> get(String key);

    /** Stores {@code entry} under {@code key} for {@code entry.ttlSeconds()}. */
    Future<Void> put(String key, CacheEntry entry);

    /**
     * Takes the cross-node single-flight lock of {@code key} for at most {@code ttlMs}: true when this
     * node is the leader. The in-process store has no other nodes and always answers true.
     */
    Future<Boolean> lock(String key, String token, long ttlMs);

    /** True while someone holds the lock of {@code key}. */
    Future<Boolean> locked(String key);

    /** Gives the lock back if {@code token} still holds it. */
    Future<Void> unlock(String key, String token);

    /** True when waiting on another node makes sense (the lock is shared). */
    boolean distributed();
}
