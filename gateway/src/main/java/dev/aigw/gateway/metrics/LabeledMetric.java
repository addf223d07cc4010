package dev.aigw.gateway.metrics;

import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A metric with a fixed list of label names and at most {@link MetricsRegistry#maxSeries()} label
 * value combinations ("series"). Recording looks the series up in a concurrent map (no lock on the
 * hit path) and creates it on a miss; past the cap the observation is dropped and counted, so
 * hostile label values (random model names) cannot grow memory without bound. Series not touched
 * for {@link #expireSeconds()} are removed by the registry's sweeper (APISIX's per-metric
 * {@code expire}).
 *
 * @param <S> the per-series state
 */
public abstract sealed class LabeledMetric<S extends LabeledMetric.Series>
        permits Counter, Gauge, Histogram {

    /**
     * One series: a label value combination's state. {@link #bind} hands it out so that a caller
     * recording the same labels again and again (per route, per status …) updates it directly, with
     * no label array and no map lookup; it must rebind once the series is no longer {@link #live}
     * (expired or cleared), or its updates are lost.
     */
    public abstract static sealed class Series permits Counter.Value, Gauge.Value, Histogram.Value {
        /** The registry clock at the last update. */
        volatile long touched;
        /** Set once the series left its metric (expiry, clear). */
        volatile boolean removed;
        // volatile: a caller may hand a bound series to other event loops without a lock (prometheus'
        // per-route slots), and they must never see it half made
        volatile LabeledMetric<?> owner;
        volatile Key key;

        /**
         * True while the series stands for something still going on (a gauge away from 0: requests in
         * flight), which expiry must not take away: its holders would give back what they added to a
         * series that is gone, and a new one would show the difference (-1 active connections).
         */
        boolean inUse() {
            return false;
        }

        /** False once the series was removed from its metric: bind again. */
        public final boolean live() {
            return !removed;
        }

        /** A copy of the series' label values, in the metric's label order. */
        public final String[] labelValues() {
            return key.values.clone();
        }

        final void touch() {
            if (owner.expireSeconds > 0) {
                touched = owner.registry.clock();
            }
        }
    }

    /** A label value tuple with its hash computed once. */
    static final class Key {
        final String[] values;
        private final int hash;

        Key(String[] values) {
            this.values = values;
            this.hash = Arrays.hashCode(values);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.values, values);
        }
    }

    private final MetricsRegistry registry;
    private final String name;
    private final String help;
    private final String[] labelNames;
    private final long expireSeconds;
    private final ConcurrentHashMap<Key, S> series = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

    LabeledMetric(MetricsRegistry registry, String name, String help, List<String> labelNames, long expireSeconds) {
        this.registry = registry;
        this.name = name;
        this.help = help;
        this.labelNames = labelNames.toArray(String[]::new);
        this.expireSeconds = expireSeconds;
    }

    /** The full name, prefix included. */
    public String name() {
        return name;
    }

    public String help() {
        return help;
    }

    public List<String> labelNames() {
        return List.of(labelNames);
    }

    /** Seconds after the last update at which a series is removed; 0 = never. */
    public long expireSeconds() {
        return expireSeconds;
    }

    /** Distinct label value combinations currently held. */
    public int seriesCount() {
        return size.get();
    }

    /** Observations dropped because the series cap was reached. */
    public long dropped() {
        return dropped.sum();
    }

    abstract S newSeries();

    /**
     * The series of these label values for repeated updates (see {@link Series}), created if absent
     * and touched; null when the series cap is reached (that observation is counted as dropped, and
     * the caller binds again next time). The array becomes the series key if the series is created.
     */
    public final S bind(String... labelValues) {
        return series(labelValues);
    }

    abstract MetricSnapshot snapshot(Map<Key, S> current);

    /**
     * The series for these label values (one per label name, null read as ""), created if absent;
     * null when the cap is reached (the caller then drops the observation, counted here). The array
     * becomes the series key when the series is created: callers pass a fresh one (varargs do).
     */
    final S series(String... values) {
        if (values.length != labelNames.length) {
            throw new IllegalArgumentException(name + ": expected " + labelNames.length + " label values, got "
                    + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                values[i] = "";
            }
        }
        Key key = new Key(values);
        S s = series.get(key);
        if (s == null) {
            s = create(key);
            if (s == null) {
                return null;
            }
        }
        if (expireSeconds > 0) {
            s.touched = registry.clock();
        }
        return s;
    }

    private S create(Key key) {
        // reserve a slot first so that concurrent creators never exceed the cap
        if (size.incrementAndGet() > registry.maxSeries()) {
            size.decrementAndGet();
            S existing = series.get(key);
            if (existing == null) {
                dropped.increment();
            }
            return existing;
        }
        S fresh = newSeries();
        fresh.owner = this;
        fresh.key = key;
        fresh.touched = registry.clock();
        S prev = series.putIfAbsent(key, fresh);
        if (prev != null) {
            size.decrementAndGet();
            return prev;
        }
        return fresh;
    }

    /** The series of these label values if it exists (nothing created, nothing touched). */
    final S peek(String... values) {
        String[] v = values.clone();
        for (int i = 0; i < v.length; i++) {
            if (v[i] == null) {
                v[i] = "";
            }
        }
        return series.get(new Key(v));
    }

    /** Removes the series not updated for {@link #expireSeconds()}; called by the registry's sweeper. */
    final void expire(long now) {
        if (expireSeconds <= 0) {
            return;
        }
        long limit = now - expireSeconds * 1000;
        series.forEach((k, s) -> {
            if (s.touched < limit && !s.inUse() && series.remove(k, s)) {
                s.removed = true;
                size.decrementAndGet();
            }
        });
    }

    /** Removes every series (tests, and a metric whose owner goes away). */
    public final void clear() {
        series.forEach((k, s) -> {
            if (series.remove(k, s)) {
                s.removed = true;
                size.decrementAndGet();
            }
        });
    }

    final MetricSnapshot collect() {
        return snapshot(series);
    }

    final Labels labels(Key key) {
        return Labels.of(labelNames, key.values);
    }
}
