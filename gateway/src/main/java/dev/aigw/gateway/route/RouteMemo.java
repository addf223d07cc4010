package dev.aigw.gateway.route;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What a plugin derives from a route's definition (a label set, the provider of its AI plugin …),
 * computed once per route version rather than per request. An entry is kept per route id and
 * recomputed when the request's {@link Route} is not the instance it was computed from (route
 * versions are immutable and replaced on change, so identity is the version check).
 *
 * <p>Bounded: past {@code cap} ids (deleted routes linger until then) the memo starts over; the
 * number of such resets is {@link #resets()}. Thread-safe; a lookup is one map read.
 *
 * @param <T> the derived value (never null: wrap "nothing" in a value of its own)
 */
public final class RouteMemo<T> {

    private record Entry<T>(Route route, T value) {
    }

    private final Function<Route, T> derive;
    private final int cap;
    private final ConcurrentHashMap<String, Entry<T>> byId = new ConcurrentHashMap<>();
    private volatile long resets;

    public RouteMemo(int cap, Function<Route, T> derive) {
        this.cap = cap;
        this.derive = derive;
    }

    /** The value derived from this route version (computed now if it is new). */
    public T of(Route route) {
        Entry<T> e = byId.get(route.id());
        if (e != null && e.route == route) {
            return e.value;
        }
        e = new Entry<>(route, derive.apply(route));
        if (byId.size() >= cap) {
            byId.clear();
            resets++; // racy increment: a statistic, not a limit
        }
        byId.put(route.id(), e);
        return e.value;
    }

    /** How many times the memo started over at its cap. */
    public long resets() {
        return resets;
    }
}
