package dev.aigw.plugins.aiproxymulti;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of one instance identity, shared by every route that uses it: fed by the answers to
 * real requests (passive) and, when configured, by a {@link Prober} (active). Written from any event
 * loop and from the prober's timer: transitions are synchronized, {@link #available} only reads
 * volatile fields.
 */
final class InstanceHealth {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceHealth.class);

    /** What a probe found. */
    enum ProbeResult { SUCCESS, HTTP_FAILURE, TCP_FAILURE, TIMEOUT, IGNORED }

    private final String label;
    private final ActiveCheck active;
    private final PassiveCheck passive;

    private volatile boolean healthy = true;
    /** Passive cool-down end (nanoTime) while out and no prober decides. */
    private volatile long outUntil;
    private volatile long rateLimitedUntil;

    private int consecutiveFailures;
    private int probeSuccesses;
    private int probeHttpFailures;
    private int probeTcpFailures;
    private int probeTimeouts;

    /** @param label the instance's name, for logs (never a key) */
    InstanceHealth(String label, ActiveCheck active, PassiveCheck passive) {
        this.label = label;
        this.active = active;
        this.passive = passive;
    }

    /** True when the instance may take a request now. */
    boolean available(long nowNanos) {
        if (rateLimitedUntil != 0 && nowNanos - rateLimitedUntil < 0) {
            return false;
        }
        if (healthy) {
            return true;
        }
        // out: a prober decides when it is back; without one the cool-down lets a request try it
        return active == null && nowNanos - outUntil >= 0;
    }

    /** True unless a check took the instance out (rate limiting aside). */
    boolean healthy() {
        return healthy;
    }

    /** An attempt on this instance got an answer that is not the instance's fault. */
    synchronized void recordSuccess() {
        consecutiveFailures = 0;
        if (!healthy) {
            healthy = true;
            LOG.info("ai-proxy-multi: instance {} answered again, marked healthy", label);
        }
    }

    /** An attempt failed: refused, timed out, or a 5xx. */
    synchronized void recordFailure() {
        consecutiveFailures++;
        if (consecutiveFailures >= passive.failures()) {
            if (healthy) {
                LOG.warn("ai-proxy-multi: instance {} failed {} times in a row, marked unhealthy",
                        label, consecutiveFailures);
            }
            healthy = false;
            outUntil = System.nanoTime() + passive.cooldownMs() * 1_000_000L;
        }
    }

    /** A 429 under the rate_limiting strategy: out for {@code ms}. */
    void rateLimited(long ms) {
        rateLimitedUntil = System.nanoTime() + Math.max(1, ms) * 1_000_000L;
    }

    /** Counts one probe, as lua-resty-healthcheck does (consecutive counters, reset by the opposite). */
    synchronized void recordProbe(ProbeResult r) {
        switch (r) {
            case SUCCESS -> {
                probeHttpFailures = 0;
                probeTcpFailures = 0;
                probeTimeouts = 0;
                probeSuccesses++;
                if (!healthy && probeSuccesses >= active.successes()) {
                    healthy = true;
                    consecutiveFailures = 0;
                    LOG.info("ai-proxy-multi: probe of instance {} succeeded, marked healthy", label);
                }
            }
            case HTTP_FAILURE -> failedProbe(++probeHttpFailures >= active.httpFailures(), "http status");
            case TCP_FAILURE -> failedProbe(++probeTcpFailures >= active.tcpFailures(), "connection failure");
            case TIMEOUT -> failedProbe(++probeTimeouts >= active.timeouts(), "timeout");
            case IGNORED -> {
                // a status in neither list says nothing
            }
        }
    }

    private void failedProbe(boolean reached, String what) {
        probeSuccesses = 0;
        if (reached && healthy) {
            healthy = false;
            LOG.warn("ai-proxy-multi: probe of instance {} failed ({}), marked unhealthy", label, what);
        }
    }

    /** The period until the next probe. */
    long probeIntervalMs() {
        return healthy ? active.healthyIntervalMs() : active.unhealthyIntervalMs();
    }
}
