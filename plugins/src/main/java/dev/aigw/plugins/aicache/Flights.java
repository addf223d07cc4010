package dev.aigw.plugins.aicache;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-process single flight: the first request for a key leads (calls the provider), identical
 * requests that arrive meanwhile wait for its answer. A waiter resumes on its own event loop, with
 * the leader's entry or null (the leader failed, or its answer is not cacheable), or null after its
 * own timeout — it then calls the provider itself; nobody waits forever. A flight whose leader
 * vanished without finishing (it should not happen: the log phase always runs) is taken over once it
 * is older than the wait timeout. The map holds one flight per key being fetched, so it is bounded by
 * the requests in flight.
 */
final class Flights {

    /** One fetch in progress. */
    static final class Flight {
        final String key;
        final long startedNanos = System.nanoTime();
        private final List<Runnable> waiters = new ArrayList<>(4);
        private boolean done;
        private CacheEntry result;

        Flight(String key) {
            this.key = key;
        }

        /** Registers a waiter; false when the flight already finished (the result is then {@link #result}). */
        private synchronized boolean join(Runnable wake) {
            if (done) {
                return false;
            }
            waiters.add(wake);
            return true;
        }

        private synchronized CacheEntry result() {
            return result;
        }
    }

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();

    /**
     * The flight of {@code mine.key}: {@code mine} when this caller leads (it must {@link #finish} it),
     * else the one in progress.
     */
    Flight lead(Flight mine, long staleMs) {
        while (true) {
            Flight cur = flights.putIfAbsent(mine.key, mine);
            if (cur == null) {
                return mine;
            }
            if ((System.nanoTime() - cur.startedNanos) / 1_000_000 <= staleMs) {
                return cur;
            }
            if (flights.replace(mine.key, cur, mine)) {
                finish(cur, null); // its waiters stop waiting for a leader that never finished
                return mine;
            }
        }
    }

    /**
     * Waits (at most {@code timeoutMs}) for another caller's flight; completes on {@code context}
     * with its entry, or null (failed leader, timeout). A flight that already finished answers at once.
     */
    Future<CacheEntry> await(Flight f, Context context, long timeoutMs) {
        Promise<CacheEntry> p = Promise.promise();
        long[] timer = {-1};
        Runnable wake = () -> context.runOnContext(v -> {
            if (timer[0] >= 0) {
                context.owner().cancelTimer(timer[0]);
            }
            p.tryComplete(f.result());
        });
        if (!f.join(wake)) {
            return Future.succeededFuture(f.result());
        }
        context.runOnContext(v -> {
            if (!p.future().isComplete()) {
                timer[0] = context.owner().setTimer(Math.max(1, timeoutMs), id -> p.tryComplete(null));
            }
        });
        return p.future();
    }

    /** Ends a flight with its entry (or null) and wakes its waiters. Idempotent. */
    void finish(Flight f, CacheEntry entry) {
        flights.remove(f.key, f);
        List<Runnable> wake;
        synchronized (f) {
            if (f.done) {
                return;
            }
            f.done = true;
            f.result = entry;
            wake = new ArrayList<>(f.waiters);
            f.waiters.clear();
        }
        wake.forEach(Runnable::run);
    }

    int size() {
        return flights.size();
    }
}
