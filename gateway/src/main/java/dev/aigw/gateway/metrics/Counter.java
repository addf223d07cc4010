package dev.aigw.gateway.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * A monotonically increasing value per label set.
 *
 * <p>Exposition: a name ending in {@code _total} is written as a Prometheus counter. APISIX's
 * counters ({@code apisix_http_status}, {@code apisix_bandwidth}, {@code apisix_llm_prompt_tokens})
 * have no such suffix, and the Prometheus client always appends one to a counter; so that existing
 * dashboards and alerts keep their names, those are written as {@code untyped} under their exact name
 * ({@code rate()} and {@code increase()} work the same on them).
 */
public final class Counter extends LabeledMetric<Counter.Value> {

    /** A bound series of a counter ({@link #bind}). */
    public static final class Value extends LabeledMetric.Series {
        final DoubleAdder sum = new DoubleAdder();

        /** Adds {@code amount}; negative or NaN amounts are ignored. */
        public void inc(double amount) {
            if (amount >= 0) {
                sum.add(amount);
                touch();
            }
        }
    }

    Counter(MetricsRegistry registry, String name, String help, List<String> labelNames, long expireSeconds) {
        super(registry, name, help, labelNames, expireSeconds);
    }

    /** Adds {@code amount} (negative or NaN amounts are ignored) to the series of these label values. */
    public void inc(double amount, String... labelValues) {
        if (!(amount >= 0)) {
            return;
        }
        Value v = series(labelValues);
        if (v != null) {
            v.sum.add(amount);
        }
    }

    /** The current value of a series, or 0 when it does not exist. */
    public double value(String... labelValues) {
        Value v = peek(labelValues);
        return v == null ? 0 : v.sum.sum();
    }

    @Override
    Value newSeries() {
        return new Value();
    }

    @Override
    MetricSnapshot snapshot(Map<Key, Value> current) {
        if (name().endsWith("_total")) {
            List<CounterSnapshot.CounterDataPointSnapshot> points = new ArrayList<>(current.size());
            current.forEach((k, v) -> points.add(
                    new CounterSnapshot.CounterDataPointSnapshot(v.sum.sum(), labels(k), null, 0)));
            String base = name().substring(0, name().length() - "_total".length());
            return new CounterSnapshot(new MetricMetadata(base, help()), points);
        }
        List<UnknownSnapshot.UnknownDataPointSnapshot> points = new ArrayList<>(current.size());
        current.forEach((k, v) -> points.add(new UnknownSnapshot.UnknownDataPointSnapshot(v.sum.sum(), labels(k), null)));
        return new UnknownSnapshot(new MetricMetadata(name(), help()), points);
    }
}
