package dev.aigw.plugins.airatelimiting;

import dev.aigw.gateway.limit.CounterPolicy;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settlements on a Redis policy, group-committed per counter: the first settlement of a counter is
 * sent at once; those that arrive while it is on its way are summed and sent as one when it returns.
 * A lone request's settlement therefore leaves as soon as before, and under load a counter costs one
 * script per Redis round trip instead of one per request (the reserve script stays one per request).
 *
 * <p>Each delta is added to exactly one slot and sent exactly once (or lost with a failed send, as a
 * single settlement would be). Settlements of different windows of a counter never share a slot (the
 * slot is keyed by the end of the window the reservation was taken in), and a give-back (negative
 * delta) whose window has ended by the time it would be sent is dropped: it would otherwise land on
 * the next window. A slot lives only while a settlement of its counter is in flight, so the map is
 * bounded by the requests in flight. Lock-free: an atomic sum and an in-flight flag per slot.
 */
final class SettleBatcher {

    private static final Logger LOG = LoggerFactory.getLogger(SettleBatcher.class);

    /** A counter of a policy in one window (by the second its window ends, as the reservation saw it). */
    private record Key(CounterPolicy policy, String key, long windowSec, long endSec) {
    }

    private static final class Slot {
        final AtomicLong pending = new AtomicLong();
        final AtomicBoolean inFlight = new AtomicBoolean();
        final long endMs;

        Slot(long endMs) {
            this.endMs = endMs;
        }
    }

    private final ConcurrentMap<Key, Slot> slots = new ConcurrentHashMap<>();

    /**
     * Settles {@code delta} on the counter {@code key} of {@code policy}, whose window (as the
     * reservation saw it) ends at {@code endMs} ({@link System#currentTimeMillis()} clock).
     */
    void settle(CounterPolicy policy, String key, long windowSec, long endMs, long delta) {
        if (delta == 0) {
            return;
        }
        Key k = new Key(policy, key, windowSec, endMs / 1000);
        Slot s = slots.computeIfAbsent(k, x -> new Slot(endMs));
        s.pending.addAndGet(delta);
        if (s.inFlight.compareAndSet(false, true)) {
            drain(k, s);
        }
    }

    /** Called by the holder of the slot's in-flight flag: sends what is pending, or lets the flag go. */
    private void drain(Key k, Slot s) {
        while (true) {
            long d = s.pending.getAndSet(0);
            if (d < 0 && System.currentTimeMillis() >= s.endMs) {
                d = 0; // the window ended: nothing left to give back (the next window must not receive it)
            }
            if (d != 0) {
                long sent = d;
                k.policy().settle(k.key(), k.windowSec(), sent).onComplete(ar -> {
                    if (ar.failed()) {
                        LOG.error("ai-rate-limiting: failed to settle {} tokens: {}", sent, ar.cause().toString());
                    }
                    drain(k, s);
                });
                return;
            }
            s.inFlight.set(false);
            // a settlement added between getAndSet and set(false) found the flag taken: take it back for it
            if (s.pending.get() == 0 || !s.inFlight.compareAndSet(false, true)) {
                if (s.pending.get() == 0) {
                    slots.remove(k, s); // idle; a late arrival on this slot is still sent by whoever holds the flag
                }
                return;
            }
        }
    }

    /** Slots (counters with a settlement in flight) now. */
    int size() {
        return slots.size();
    }
}
