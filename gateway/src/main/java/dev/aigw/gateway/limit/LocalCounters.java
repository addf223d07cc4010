package dev.aigw.gateway.limit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters in this process (APISIX's {@code local} policy, a shared dict there). Each key holds an
 * immutable state in an {@link AtomicReference}, updated by compare-and-set: no lock on the request
 * path, exact under concurrency.
 *
 * <p>Bounded: at most {@code maxKeys} keys. Ended windows are swept every few seconds; a new key
 * arriving while the table is full is refused with a failed future (the plugin then applies
 * {@code allow_degradation}) and counted in {@link #dropped()}.
 */
public final class LocalCounters implements CounterPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(LocalCounters.class);

    /** Default cap on distinct keys per plugin. */
    public static final int DEFAULT_MAX_KEYS = 100_000;

    /** A full table: the failure returned for a key that cannot be tracked. */
    public static final class FullException extends RuntimeException {
        FullException(int max) {
            super("too many rate limiting keys (" + max + "), key not tracked", null, false, false);
        }
    }

    private record Fixed(long endMs, long consumed) {
    }

    /** A sliding window: the id of the current window, its count and the previous window's. */
    private record Slide(long wid, long cur, long prev, long windowMs) {
    }

    private final Map<String, AtomicReference<Object>> counters = new ConcurrentHashMap<>();
    private final int maxKeys;
    private final AtomicLong dropped = new AtomicLong();
    private final FullException full;
    private final Vertx vertx;
    private final long sweepTimer;

    public LocalCounters(Vertx vertx, int maxKeys) {
        this.vertx = vertx;
        this.maxKeys = maxKeys;
        this.full = new FullException(maxKeys);
        this.sweepTimer = vertx == null ? -1 : vertx.setPeriodic(5000, id -> sweep());
    }

    /** Keys refused because the table was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Keys held now. */
    public int size() {
        return counters.size();
    }

    public void close() {
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
        }
    }

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    /** The value of a slot the sweeper retired: no request counts in it any more. */
    private static final Object SWEPT = new Object();

    /** A new slot for {@code key} in place of the retired {@code ref} (null when the key cap is reached). */
    private AtomicReference<Object> replace(String key, AtomicReference<Object> ref) {
        counters.remove(key, ref);
        return slot(key);
    }

    private AtomicReference<Object> slot(String key) {
        AtomicReference<Object> ref = counters.get(key);
        if (ref != null) {
            return ref;
        }
        if (counters.size() >= maxKeys) {
            sweep();
            if (counters.size() >= maxKeys) {
                long n = dropped.incrementAndGet();
                if (n == 1 || n % 10_000 == 0) {
                    LOG.warn("rate limiting: {} distinct keys held, {} keys refused so far", maxKeys, n);
                }
                return null;
            }
        }
        return counters.computeIfAbsent(key, k -> new AtomicReference<>());
    }

    @Override
    public Future<Count> incoming(String key, long limit, long windowSec, long cost) {
        return fixed(key, limit, windowSec, cost, false);
    }

    @Override
    public Future<Count> reserve(String key, long limit, long windowSec, long cost) {
        return fixed(key, limit, windowSec, cost, true);
    }

    private Future<Count> fixed(String key, long limit, long windowSec, long cost, boolean conditional) {
        AtomicReference<Object> ref = slot(key);
        if (ref == null) {
            return Future.failedFuture(full);
        }
        long windowMs = windowSec * 1000;
        while (true) {
            long now = now();
            Object cur = ref.get();
            if (cur == SWEPT) {
                ref = replace(key, ref);
                if (ref == null) {
                    return Future.failedFuture(full);
                }
                continue;
            }
            Fixed f = cur instanceof Fixed x && x.endMs > now ? x : null;
            long end = f == null ? now + windowMs : f.endMs;
            long before = f == null ? 0 : f.consumed;
            if (conditional && before + cost > limit) {
                return Future.succeededFuture(new Count(false, before, end - now));
            }
            Fixed next = new Fixed(end, before + cost);
            if (ref.compareAndSet(cur, next)) {
                return Future.succeededFuture(new Count(next.consumed <= limit, next.consumed, end - now));
            }
        }
    }

    @Override
    public Future<Void> settle(String key, long windowSec, long delta) {
        if (delta == 0) {
            return Future.succeededFuture();
        }
        AtomicReference<Object> ref = delta > 0 ? slot(key) : counters.get(key);
        if (ref == null) {
            return delta > 0 ? Future.failedFuture(full) : Future.succeededFuture();
        }
        while (true) {
            long now = now();
            Object cur = ref.get();
            if (cur == SWEPT) {
                if (delta < 0) {
                    return Future.succeededFuture(); // its window ended and was swept
                }
                ref = replace(key, ref);
                if (ref == null) {
                    return Future.failedFuture(full);
                }
                continue;
            }
            Fixed f = cur instanceof Fixed x && x.endMs > now ? x : null;
            if (f == null && delta < 0) {
                return Future.succeededFuture(); // the window the reservation was taken in has ended
            }
            Fixed next = f == null ? new Fixed(now + windowSec * 1000, delta)
                    : new Fixed(f.endMs, Math.max(0, f.consumed + delta));
            if (ref.compareAndSet(cur, next)) {
                return Future.succeededFuture();
            }
        }
    }

    @Override
    public Future<Count> sliding(String key, long limit, long windowSec, long cost) {
        AtomicReference<Object> ref = slot(key);
        if (ref == null) {
            return Future.failedFuture(full);
        }
        long windowMs = windowSec * 1000;
        while (true) {
            long nowMs = System.currentTimeMillis(); // windows aligned on the clock, as APISIX (and Redis) do
            long wid = nowMs / windowMs;
            long remainingMs = windowMs - nowMs % windowMs;
            Object cur = ref.get();
            if (cur == SWEPT) {
                ref = replace(key, ref);
                if (ref == null) {
                    return Future.failedFuture(full);
                }
                continue;
            }
            Slide s = cur instanceof Slide x ? x : null;
            long count;
            long last;
            if (s != null && s.wid == wid) {
                count = s.cur;
                last = s.prev;
            } else if (s != null && s.wid == wid - 1) {
                count = 0;
                last = s.cur;
            } else {
                count = 0;
                last = 0;
            }
            last = Math.min(last, limit);
            double estimated = (double) last / windowMs * remainingMs;
            if (count >= limit || estimated + count >= limit) {
                return Future.succeededFuture(new Count(false, limit, remainingMs));
            }
            Slide next = new Slide(wid, count + cost, last, windowMs);
            if (ref.compareAndSet(cur, next)) {
                long used = (long) Math.ceil(count + cost + estimated);
                return Future.succeededFuture(new Count(true, used, remainingMs));
            }
        }
    }

    /** Drops windows that have ended (a sliding one lives two windows). */
    void sweep() {
        long now = now();
        long wall = System.currentTimeMillis();
        for (Iterator<Map.Entry<String, AtomicReference<Object>>> it = counters.entrySet().iterator(); it.hasNext(); ) {
            AtomicReference<Object> ref = it.next().getValue();
            Object v = ref.get();
            boolean ended = v == null
                    || v instanceof Fixed f && f.endMs <= now
                    || v instanceof Slide s && (s.wid + 2) * s.windowMs <= wall;
            // retired first, then removed: a request that counted in the slot meanwhile made this CAS
            // fail (the slot stays), one that comes after finds it retired and takes a new one
            if (ended && ref.compareAndSet(v, SWEPT)) {
                it.remove();
            }
        }
    }
}
