package dev.aigw.gateway.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed log-scale histogram of durations in microseconds (bucket i holds values below
 * {@code 100 µs · 2^(i/2)}, about 41 % apart, from 100 µs to ~30 min), so percentiles read from merged
 * buckets are within one bucket's width and recording is one atomic add.
 */
final class LatencyHistogram {

    static final int BUCKETS = 50;
    private static final double[] UPPER_MICROS = new double[BUCKETS];

    static {
        for (int i = 0; i < BUCKETS; i++) {
            UPPER_MICROS[i] = 100 * Math.pow(2, i / 2.0);
        }
    }

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    void record(long micros) {
        counts.incrementAndGet(index(micros));
    }

    static int index(long micros) {
        // binary search over 50 doubles: cheaper than a log per request and exact at the edges
        int lo = 0;
        int hi = BUCKETS - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (micros < UPPER_MICROS[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    void addTo(long[] into) {
        for (int i = 0; i < BUCKETS; i++) {
            into[i] += counts.get(i);
        }
    }

    /** The value (ms) under which a fraction {@code q} of {@code counts} lies: the bucket's upper edge. */
    static double quantileMillis(long[] counts, double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return UPPER_MICROS[i] / 1000.0;
            }
        }
        return UPPER_MICROS[BUCKETS - 1] / 1000.0;
    }
}
