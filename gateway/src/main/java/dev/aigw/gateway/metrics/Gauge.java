package dev.aigw.gateway.metrics;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A value that goes up and down per label set (active connections …). Updates are lock-free CAS. With
 * an expiry, only a series back at 0 expires: one that counts things in progress stays while they last.
 */
public final class Gauge extends LabeledMetric<Gauge.Value> {

    /** A bound series of a gauge ({@link #bind}). */
    public static final class Value extends LabeledMetric.Series {
        final AtomicLong bits = new AtomicLong(Double.doubleToRawLongBits(0));

        /** Adds {@code d} (negative to subtract). */
        public void add(double d) {
            addRaw(d);
            touch();
        }

        void addRaw(double d) {
            long prev;
            long next;
            do {
                prev = bits.get();
                next = Double.doubleToRawLongBits(Double.longBitsToDouble(prev) + d);
            } while (!bits.compareAndSet(prev, next));
        }

        double get() {
            return Double.longBitsToDouble(bits.get());
        }

        /** Away from 0, a gauge counts things still going on: it does not expire. */
        @Override
        boolean inUse() {
            return get() != 0;
        }
    }

    Gauge(MetricsRegistry registry, String name, String help, List<String> labelNames, long expireSeconds) {
        super(registry, name, help, labelNames, expireSeconds);
    }

    /** Adds 1; false when the series cap dropped the update. */
    public boolean inc(String... labelValues) {
        return add(1, labelValues);
    }

    /** Subtracts 1; false when the series cap dropped the update. */
    public boolean dec(String... labelValues) {
        return add(-1, labelValues);
    }

    /** Adds {@code delta}; false when the series cap dropped the update. */
    public boolean add(double delta, String... labelValues) {
        Value v = series(labelValues);
        if (v == null) {
            return false;
        }
        v.addRaw(delta);
        return true;
    }

    public void set(double value, String... labelValues) {
        Value v = series(labelValues);
        if (v != null) {
            v.bits.set(Double.doubleToRawLongBits(value));
        }
    }

    /** The current value of a series, or 0 when it does not exist. */
    public double value(String... labelValues) {
        Value v = peek(labelValues);
        return v == null ? 0 : v.get();
    }

    @Override
    Value newSeries() {
        return new Value();
    }

    @Override
    MetricSnapshot snapshot(Map<Key, Value> current) {
        List<GaugeSnapshot.GaugeDataPointSnapshot> points = new ArrayList<>(current.size());
        current.forEach((k, v) -> points.add(new GaugeSnapshot.GaugeDataPointSnapshot(v.get(), labels(k), null)));
        return new GaugeSnapshot(new MetricMetadata(name(), help()), points);
    }
}
