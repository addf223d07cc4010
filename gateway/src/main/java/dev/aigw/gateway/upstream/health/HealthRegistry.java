package dev.aigw.gateway.upstream.health;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The health state of every target identity in use, held by its owner (no static state): users of the
 * same identity share one state and at most one {@link Prober}. Reference-counted: the prober starts
 * with the first {@link #acquire} and stops with the last {@link #release}, so route churn never leaks
 * a prober.
 *
 * @param <H> the owner's health type (a {@link TargetHealth}, or a wrapper that adds its own policy)
 */
public final class HealthRegistry<H> {

    private final class Entry {
        final H health;
        Prober prober;
        int refs;

        Entry(H health) {
            this.health = health;
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private boolean closed;

    /**
     * Takes a reference on the state of {@code key}, creating it with {@code create} if new, and
     * starting its prober from {@code prober} (null result: no active check) the first time.
     * After {@link #close} it returns a fresh state that nothing probes.
     */
    public synchronized H acquire(String key, Supplier<H> create, Function<H, Prober> prober) {
        if (closed) {
            return create.get();
        }
        Entry e = entries.computeIfAbsent(key, k -> new Entry(create.get()));
        e.refs++;
        if (e.refs == 1 && prober != null) {
            e.prober = prober.apply(e.health);
            if (e.prober != null) {
                e.prober.start();
            }
        }
        return e.health;
    }

    /** Gives back a reference taken by {@link #acquire}; the last one stops the prober and forgets the state. */
    public synchronized void release(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return;
        }
        if (--e.refs <= 0) {
            entries.remove(key);
            if (e.prober != null) {
                e.prober.stop();
            }
        }
    }

    /** Number of identities in use. */
    public synchronized int size() {
        return entries.size();
    }

    /** Number of running probers. */
    public synchronized int probers() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (e.prober != null && e.prober.running()) {
                n++;
            }
        }
        return n;
    }

    /** The state of {@code key}, or null when it is not in use. */
    public synchronized H get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.health;
    }

    /** Visits every identity in use (diagnostics). */
    public synchronized void forEach(BiConsumer<String, H> visitor) {
        entries.forEach((k, e) -> visitor.accept(k, e.health));
    }

    /** Stops every prober and forgets everything (shutdown). */
    public synchronized void close() {
        closed = true;
        for (Entry e : entries.values()) {
            if (e.prober != null) {
                e.prober.stop();
            }
        }
        entries.clear();
    }
}
