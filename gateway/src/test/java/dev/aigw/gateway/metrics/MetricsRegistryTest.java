package dev.aigw.gateway.metrics;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsRegistryTest {

    private static String text(MetricsRegistry r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.scrape(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void apisixCountersKeepTheirNameAndTotalsAreCounters() throws Exception {
        MetricsRegistry r = new MetricsRegistry("apisix_", 100);
        r.counter("http_status", "h", List.of("code"), 0).inc(1, "200");
        r.counter("limit_rejected_total", "h", List.of("plugin"), 0).inc(2, "limit-count");
        String t = text(r);
        assertTrue(t.contains("# TYPE apisix_http_status untyped\napisix_http_status{code=\"200\"} 1.0"), t);
        assertTrue(t.contains("# TYPE apisix_limit_rejected_total counter\napisix_limit_rejected_total{plugin=\"limit-count\"} 2.0"), t);
    }

    @Test
    void capOverflowsAreOneCounterPerCapSummedOverOwnersAndShownAtZero() throws Exception {
        MetricsRegistry r = new MetricsRegistry("apisix_", 100);
        assertFalse(text(r).contains("cap_overflows"), "nothing registered, no family");
        java.util.concurrent.atomic.AtomicLong a = new java.util.concurrent.atomic.AtomicLong(3);
        r.capOverflows("limit-count.keys", a::get);
        r.capOverflows("limit-count.keys", () -> 4); // a second instance of the plugin
        r.capOverflows("access_log.queue", () -> 0);
        String t = text(r);
        assertTrue(t.contains("# TYPE apisix_cap_overflows_total counter\n"), t);
        assertTrue(t.contains("apisix_cap_overflows_total{cap=\"access_log.queue\"} 0.0\n"), "present before any overflow: " + t);
        assertTrue(t.contains("apisix_cap_overflows_total{cap=\"limit-count.keys\"} 7.0\n"), t);
        a.addAndGet(10);
        assertTrue(text(r).contains("apisix_cap_overflows_total{cap=\"limit-count.keys\"} 17.0\n"), "read at scrape time");
    }

    @Test
    void histogramBucketsAreCumulativeWithInf() throws Exception {
        MetricsRegistry r = new MetricsRegistry("", 100);
        Histogram h = r.histogram("lat", "h", List.of("type"), new double[] {10, 1, 5}, 0);
        h.observe(0.5, "a");
        h.observe(5, "a");
        h.observe(7, "a");
        h.observe(100, "a");
        String t = text(r);
        assertTrue(t.contains("lat_bucket{type=\"a\",le=\"1.0\"} 1\n"), t);
        assertTrue(t.contains("lat_bucket{type=\"a\",le=\"5.0\"} 2\n"), t);
        assertTrue(t.contains("lat_bucket{type=\"a\",le=\"10.0\"} 3\n"), t);
        assertTrue(t.contains("lat_bucket{type=\"a\",le=\"+Inf\"} 4\n"), t);
        assertTrue(t.contains("lat_sum{type=\"a\"} 112.5\n"), t);
        assertEquals(4, h.count("a"));
    }

    @Test
    void labelSetsStopAtTheCapAndDropsAreCounted() throws Exception {
        MetricsRegistry r = new MetricsRegistry("p_", 10);
        Counter c = r.counter("tokens", "h", List.of("model"), 0);
        for (int i = 0; i < 1000; i++) {
            c.inc(1, "model-" + i);
        }
        assertEquals(10, c.seriesCount());
        assertEquals(990, c.dropped());
        c.inc(1, "model-3"); // existing label sets keep counting
        assertEquals(2, c.value("model-3"));
        assertTrue(text(r).contains("p_metrics_series_dropped_total{metric=\"p_tokens\"} 990.0"));
    }

    @Test
    void theCapHoldsUnderConcurrentCreators() throws Exception {
        MetricsRegistry r = new MetricsRegistry("", 50);
        Counter c = r.counter("c", "h", List.of("k"), 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 4; t++) {
            int base = t * 10_000;
            pool.submit(() -> {
                go.await();
                for (int i = 0; i < 2000; i++) {
                    c.inc(1, "v" + (base + i));
                }
                return null;
            });
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(50, c.seriesCount());
        assertEquals(8000 - 50, c.dropped());
    }

    @Test
    void idleLabelSetsExpire() {
        MetricsRegistry r = new MetricsRegistry("", 10);
        Gauge g = r.gauge("g", "h", List.of("k"), 5);
        Counter keep = r.counter("c", "h", List.of("k"), 0);
        long t0 = System.currentTimeMillis();
        r.tick(t0);
        g.inc("a");
        g.dec("a");
        g.inc("held"); // a request still in progress
        keep.inc(1, "a");
        r.tick(t0 + 4_000);
        g.inc("b");
        assertEquals(3, g.seriesCount());
        r.tick(t0 + 6_000); // "a" idle for 6 s > 5 and at 0: gone; "b" idle 2 s: kept
        assertEquals(2, g.seriesCount());
        assertEquals(1, g.value("b"));
        assertEquals(1, g.value("held"), "idle but away from 0: what it counts is still going on");
        g.dec("held");
        r.tick(t0 + 12_000);
        assertEquals(1, g.seriesCount(), "back at 0, \"held\" expires; \"b\", at 1 for 8 s, stays");
        assertEquals(1, g.value("b"));
        assertEquals(1, keep.seriesCount(), "no expire configured: kept");
    }

    /** A bound series counts like the label-array calls, keeps expiry alive, and says when it must be bound again. */
    @Test
    void boundSeriesRecordTouchAndDieWithTheirSeries() {
        MetricsRegistry r = new MetricsRegistry("", 2);
        Histogram h = r.histogram("h", "h", List.of("k"), new double[] {1, 10}, 5);
        Counter c = r.counter("c", "h", List.of("k"), 0);
        long t0 = System.currentTimeMillis();
        r.tick(t0);
        Histogram.Value a = h.bind("a");
        a.observe(0.5);
        a.observe(Double.NaN);
        h.observe(20, "a");
        assertEquals(2, h.count("a"), "the bound series is the label set's series");
        Counter.Value ca = c.bind("a");
        ca.inc(2);
        ca.inc(-1);
        ca.inc(Double.NaN);
        assertEquals(2, c.value("a"), "negative and NaN amounts ignored, as inc(amount, labels)");
        r.tick(t0 + 4_000);
        a.observe(1);
        r.tick(t0 + 6_000);
        assertTrue(a.live(), "updated 2 s ago: kept");
        r.tick(t0 + 10_000);
        assertFalse(a.live(), "idle past expire: removed, the holder must bind again");
        assertEquals(0, h.seriesCount());
        assertArrayEquals(new String[] {"a"}, a.labelValues());
        c.bind("b");
        assertNull(c.bind("c"), "past the cap: nothing bound");
        assertEquals(1, c.dropped(), "and the drop is counted");
        c.clear();
        assertFalse(ca.live());
    }

    @Test
    void sameMetricTwiceIsTheSameObjectOtherShapeIsRefused() {
        MetricsRegistry r = new MetricsRegistry("apisix_", 10);
        Counter a = r.counter("x", "h", List.of("k"), 0);
        assertSame(a, r.counter("x", "h", List.of("k"), 0));
        assertThrows(IllegalArgumentException.class, () -> r.gauge("x", "h", List.of("k"), 0));
        assertThrows(IllegalArgumentException.class, () -> r.counter("x", "h", List.of("k", "j"), 0));
        assertThrows(IllegalArgumentException.class, () -> a.inc(1, "one", "two"));
    }

    @Test
    void nullLabelValuesReadAsEmpty() throws Exception {
        MetricsRegistry r = new MetricsRegistry("", 10);
        r.counter("c", "h", List.of("a", "b"), 0).inc(1, "x", null);
        assertTrue(text(r).contains("c{a=\"x\",b=\"\"} 1.0"), text(r));
    }
}
