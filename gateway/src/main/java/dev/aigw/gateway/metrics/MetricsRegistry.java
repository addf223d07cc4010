package dev.aigw.gateway.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import io.vertx.core.Future;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The gateway's one metrics registry. Metrics are created once (at start, by the core and by
 * plugins through {@link dev.aigw.gateway.plugin.PluginEnv#metrics()}) under the configured name
 * prefix ({@code apisix_} by default, {@code plugin_attr.prometheus.metric_prefix}); recording is
 * lock-free and bounded: each metric holds at most {@link #maxSeries()} label sets, observations
 * past it are dropped and counted in {@code <prefix>metrics_series_dropped_total{metric}}.
 *
 * <p>Every other bounded table, queue or budget of the gateway and its plugins reports what its cap
 * turned away through {@link #capOverflows}: one {@code <prefix>cap_overflows_total{cap}} series per
 * cap, present (at 0) from the start, so that an alert can be written before the first overflow.
 *
 * <p>Rendering uses the Prometheus Java client's model and text writer; JVM metrics (the client's
 * {@code jvm_*} set, under their own names) are added with {@link #registerJvmMetrics()}.
 */
public final class MetricsRegistry {

    /** Default cap on label sets per metric. */
    public static final int DEFAULT_MAX_SERIES = 10_000;

    private final String prefix;
    private final int maxSeries;
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final Map<String, LabeledMetric<?>> metrics = new ConcurrentHashMap<>();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final List<Supplier<Future<Void>>> refreshers = new CopyOnWriteArrayList<>();
    private final Map<String, List<LongSupplier>> overflows = new ConcurrentSkipListMap<>();
    private volatile long clock = System.currentTimeMillis();
    private boolean jvm;

    public MetricsRegistry(String prefix, int maxSeries) {
        this.prefix = prefix == null ? "" : prefix;
        this.maxSeries = Math.max(1, maxSeries);
        prometheus.register(new Labeled());
    }

    /** The name prefix every metric created here gets ({@code apisix_}). */
    public String prefix() {
        return prefix;
    }

    /** The cap on label sets per metric. */
    public int maxSeries() {
        return maxSeries;
    }

    /**
     * The underlying Prometheus registry, for collectors whose values are read at scrape time (a
     * {@code GaugeWithCallback} over connection counts …). Names registered there get no prefix.
     */
    public PrometheusRegistry prometheus() {
        return prometheus;
    }

    /**
     * A counter named {@code prefix + name}; the same metric when called again with the same name,
     * type and labels (a plugin initialised twice), an {@link IllegalArgumentException} otherwise.
     *
     * @param expireSeconds remove a label set not updated for this long; 0 = never
     */
    public Counter counter(String name, String help, List<String> labelNames, long expireSeconds) {
        return register(new Counter(this, prefix + name, help, labelNames, expireSeconds), Counter.class);
    }

    /** A gauge; see {@link #counter}. */
    public Gauge gauge(String name, String help, List<String> labelNames, long expireSeconds) {
        return register(new Gauge(this, prefix + name, help, labelNames, expireSeconds), Gauge.class);
    }

    /** A histogram with these upper bounds (+Inf is added); see {@link #counter}. */
    public Histogram histogram(String name, String help, List<String> labelNames, double[] buckets,
                               long expireSeconds) {
        return register(new Histogram(this, prefix + name, help, labelNames, buckets, expireSeconds), Histogram.class);
    }

    /** A metric created here, by full name (prefix included), or null. */
    public LabeledMetric<?> get(String fullName) {
        return metrics.get(fullName);
    }

    private <M extends LabeledMetric<?>> M register(M m, Class<M> type) {
        LabeledMetric<?> prev = metrics.putIfAbsent(m.name(), m);
        if (prev == null) {
            return m;
        }
        if (type.isInstance(prev) && prev.labelNames().equals(m.labelNames())) {
            return type.cast(prev);
        }
        throw new IllegalArgumentException("metric " + m.name() + " already exists with other type or labels");
    }

    /**
     * Exports a count, kept by its owner, of what the cap named {@code cap} turned away since start
     * (entries dropped, requests refused, lookups done without the cache): the series
     * {@code <prefix>cap_overflows_total{cap}}, read at scrape time. Counts registered under one name
     * are added up (one per plugin instance). Called once per owner at start; the names are the
     * code's own, so the label set is bounded.
     */
    public void capOverflows(String cap, LongSupplier count) {
        overflows.computeIfAbsent(cap, k -> new CopyOnWriteArrayList<>()).add(count);
    }

    /** Adds the Prometheus client's JVM metrics (memory, GC, threads, classes …) once. */
    public synchronized void registerJvmMetrics() {
        if (!jvm) {
            jvm = true;
            JvmMetrics.builder().register(prometheus);
        }
    }

    /** The clock recorded in series for expiry: ms, advanced by {@link #tick}. */
    long clock() {
        return clock;
    }

    /** Advances the clock and removes expired label sets; the owner calls it about once a second. */
    public void tick(long nowMillis) {
        clock = nowMillis;
        for (LabeledMetric<?> m : metrics.values()) {
            m.expire(nowMillis);
        }
    }

    /**
     * Adds work to run before each scrape (probing etcd for {@code etcd_reachable}): it must complete
     * in bounded time and never fail the scrape.
     */
    public void beforeScrape(Supplier<Future<Void>> refresher) {
        refreshers.add(refresher);
    }

    /** Runs the {@link #beforeScrape} work; completes when all of it did (never fails). */
    public Future<Void> refresh() {
        if (refreshers.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Future<Void>> all = new ArrayList<>(refreshers.size());
        for (Supplier<Future<Void>> r : refreshers) {
            try {
                all.add(r.get());
            } catch (RuntimeException e) {
                all.add(Future.succeededFuture());
            }
        }
        return Future.join(all).<Void>mapEmpty().otherwiseEmpty();
    }

    /** Writes everything in Prometheus text format 0.0.4. CPU only, but not free: call it off the event loop. */
    public void scrape(OutputStream out) throws IOException {
        writer.write(out, prometheus.scrape());
    }

    /** The content type of {@link #scrape}. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Collects the labeled metrics, the drop counter and the cap overflows. */
    private final class Labeled implements MultiCollector {
        @Override
        public MetricSnapshots collect() {
            List<MetricSnapshot> all = new ArrayList<>(metrics.size() + 1);
            List<CounterSnapshot.CounterDataPointSnapshot> dropped = new ArrayList<>();
            for (LabeledMetric<?> m : metrics.values()) {
                all.add(m.collect());
                long d = m.dropped();
                if (d > 0) {
                    dropped.add(new CounterSnapshot.CounterDataPointSnapshot(d, Labels.of("metric", m.name()), null, 0));
                }
            }
            all.add(new CounterSnapshot(new MetricMetadata(prefix + "metrics_series_dropped",
                    "Observations dropped because a metric reached its cap on label sets"), dropped));
            if (!overflows.isEmpty()) {
                List<CounterSnapshot.CounterDataPointSnapshot> caps = new ArrayList<>(overflows.size());
                overflows.forEach((cap, counts) -> {
                    long n = 0;
                    for (LongSupplier c : counts) {
                        n += c.getAsLong();
                    }
                    caps.add(new CounterSnapshot.CounterDataPointSnapshot(n, Labels.of("cap", cap), null, 0));
                });
                all.add(new CounterSnapshot(new MetricMetadata(prefix + "cap_overflows",
                        "What a bounded table, queue or budget turned away: entries dropped, requests refused, "
                                + "lookups done without the cache"), caps));
            }
            return new MetricSnapshots(all);
        }
    }
}
