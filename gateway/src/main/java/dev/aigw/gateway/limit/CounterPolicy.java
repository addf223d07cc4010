package dev.aigw.gateway.limit;

import io.vertx.core.Future;

/**
 * Where counters live: in this process ({@link LocalCounters}) or in Redis ({@link RedisCounters}).
 * Every call is non-blocking and safe from any event loop; a failed future means the store could not
 * answer (the caller applies {@code allow_degradation}).
 *
 * <p>Keys are the complete counter keys (the caller adds the resource and configuration parts);
 * windows are in seconds.
 */
public interface CounterPolicy {

    /**
     * APISIX's fixed-window check: adds {@code cost} unconditionally (a new window starts with it) and
     * accepts while the total stays within {@code limit}. A cost of 0 only reads (and starts a window).
     */
    Future<Count> incoming(String key, long limit, long windowSec, long cost);

    /**
     * A reservation on a fixed window: adds {@code cost} only if the total then stays within
     * {@code limit}; otherwise nothing is added and the result is refused with the current total.
     */
    Future<Count> reserve(String key, long limit, long windowSec, long cost);

    /**
     * Corrects a window by {@code delta} (real usage minus what was reserved; negative gives back).
     * A window that has ended is not touched by a negative delta; a positive one starts a new window.
     */
    Future<Void> settle(String key, long windowSec, long delta);

    /**
     * APISIX's sliding window: the previous window's count weighted by how much of it still
     * overlaps, plus the current one; refuses once that reaches {@code limit}, else adds {@code cost}.
     */
    Future<Count> sliding(String key, long limit, long windowSec, long cost);
}
