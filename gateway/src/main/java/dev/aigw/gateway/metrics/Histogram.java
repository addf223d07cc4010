package dev.aigw.gateway.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A classic Prometheus histogram per label set, with fixed upper bounds ({@code le}) and a
 * {@code +Inf} bucket. Observing is a binary search and two adder updates: no lock.
 */
public final class Histogram extends LabeledMetric<Histogram.Value> {

    /** A bound series of a histogram ({@link #bind}). */
    public final class Value extends LabeledMetric.Series {
        final LongAdder[] counts = new LongAdder[bounds.length];
        final DoubleAdder sum = new DoubleAdder();

        Value() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        /** Records one observation; NaN is ignored. */
        public void observe(double value) {
            if (Double.isNaN(value)) {
                return;
            }
            record(value);
            touch();
        }

        void record(double value) {
            int i = Arrays.binarySearch(bounds, value);
            counts[i >= 0 ? i : -i - 1].increment();
            sum.add(value);
        }
    }

    /** Sorted upper bounds, the last one +Inf. */
    private final double[] bounds;

    Histogram(MetricsRegistry registry, String name, String help, List<String> labelNames, double[] buckets,
              long expireSeconds) {
        super(registry, name, help, labelNames, expireSeconds);
        double[] b = Arrays.stream(buckets).filter(d -> !Double.isNaN(d) && d != Double.POSITIVE_INFINITY)
                .sorted().distinct().toArray();
        this.bounds = Arrays.copyOf(b, b.length + 1);
        this.bounds[b.length] = Double.POSITIVE_INFINITY;
    }

    /** Records one observation; NaN is ignored. */
    public void observe(double value, String... labelValues) {
        if (Double.isNaN(value)) {
            return;
        }
        Value v = series(labelValues);
        if (v == null) {
            return;
        }
        v.record(value);
    }

    /** Observations in a series so far, or 0 when it does not exist. */
    public long count(String... labelValues) {
        Value v = peek(labelValues);
        if (v == null) {
            return 0;
        }
        long n = 0;
        for (LongAdder c : v.counts) {
            n += c.sum();
        }
        return n;
    }

    @Override
    Value newSeries() {
        return new Value();
    }

    @Override
    MetricSnapshot snapshot(Map<Key, Value> current) {
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>(current.size());
        current.forEach((k, v) -> {
            long[] counts = new long[bounds.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = v.counts[i].sum();
            }
            points.add(new HistogramSnapshot.HistogramDataPointSnapshot(ClassicHistogramBuckets.of(bounds, counts),
                    v.sum.sum(), labels(k), null, 0));
        });
        return new HistogramSnapshot(new MetricMetadata(name(), help()), points);
    }
}
