package dev.aigw.plugins.aiproxymulti;

import io.vertx.core.Vertx;

import java.util.HashMap;
import java.util.Map;

/**
 * The health of every instance identity in use, held by one plugin instance (no static state):
 * routes that use the same provider, address, auth and checks share one {@link InstanceHealth} and
 * at most one {@link Prober}. Reference-counted by the route configurations that use them
 * ({@link MultiConfig.Lease}): the prober starts with the first and stops with the last.
 */
public final class HealthRegistry {

    private static final class Entry {
        final InstanceHealth health;
        Prober prober;
        int refs;

        Entry(InstanceHealth health) {
            this.health = health;
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private boolean closed;

    /** Takes a reference on the instance's shared health, starting its prober if it has checks. */
    synchronized InstanceHealth acquire(MultiInstance inst, Vertx vertx) {
        if (closed) {
            return new InstanceHealth(inst.name(), inst.active(), inst.passive());
        }
        Entry e = entries.computeIfAbsent(inst.healthKey(),
                k -> new Entry(new InstanceHealth(inst.name(), inst.active(), inst.passive())));
        e.refs++;
        if (e.prober == null && inst.active() != null) {
            e.prober = new Prober(vertx, inst, e.health);
            e.prober.start();
        }
        return e.health;
    }

    /** Gives back a reference taken by {@link #acquire}; the last one stops the prober and forgets the state. */
    synchronized void release(MultiInstance inst) {
        Entry e = entries.get(inst.healthKey());
        if (e == null) {
            return;
        }
        if (--e.refs <= 0) {
            entries.remove(inst.healthKey());
            if (e.prober != null) {
                e.prober.stop();
            }
        }
    }

    /** Number of identities in use (tests, diagnostics). */
    public synchronized int size() {
        return entries.size();
    }

    /** Number of running probers (tests, diagnostics). */
    public synchronized int probers() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (e.prober != null) {
                n++;
            }
        }
        return n;
    }

    /** Whether the identity is currently marked healthy, or null when it is not in use. */
    public synchronized Boolean healthy(String healthKey) {
        Entry e = entries.get(healthKey);
        return e == null ? null : e.health.healthy();
    }

    /** Stops every prober (plugin shutdown). */
    synchronized void close() {
        closed = true;
        for (Entry e : entries.values()) {
            if (e.prober != null) {
                e.prober.stop();
            }
        }
        entries.clear();
    }
}
