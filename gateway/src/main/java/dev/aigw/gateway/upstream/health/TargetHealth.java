package dev.aigw.gateway.upstream.health;

import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of one target (an upstream node, an ai-proxy-multi instance), shared by every route that
 * uses it: fed by a {@link Prober} (active) and by the answers to proxied requests (passive).
 *
 * <p>Counting as lua-resty-healthcheck: one consecutive counter per kind (success, http failure, tcp
 * failure, timeout); a success resets the failure counters and a failure resets the success counter; a
 * counter reaching its threshold flips the state. Active reports use {@code checks.active}'s thresholds,
 * passive ones {@code checks.passive}'s (0 turns a kind off). A target starts healthy.
 *
 * <p>Reports come from any event loop and from the prober: transitions are synchronized; {@link #healthy}
 * is one volatile read, cheap enough for every pick.
 */
public final class TargetHealth {

    private static final Logger LOG = LoggerFactory.getLogger(TargetHealth.class);

    private final String label;
    private final ActiveCheck active;
    private final PassiveCheck passive;

    private volatile boolean healthy = true;
    private int successes;
    private int httpFailures;
    private int tcpFailures;
    private int timeouts;

    /**
     * @param label   how logs name the target ({@code upstream 127.0.0.1:1980}); never a secret
     * @param active  {@code checks.active}, or null when nothing probes the target
     * @param passive {@code checks.passive}, or null when proxied answers do not count
     */
    public TargetHealth(String label, ActiveCheck active, PassiveCheck passive) {
        this.label = label;
        this.active = active;
        this.passive = passive;
    }

    /** True unless a check took the target out. */
    public boolean healthy() {
        return healthy;
    }

    /** {@code checks.active}, or null. */
    public ActiveCheck active() {
        return active;
    }

    /** Counts one active probe. */
    public void recordProbe(ProbeResult r) {
        if (active != null) {
            report(r, active.successes(), active.httpFailures(), active.tcpFailures(), active.timeouts(), "probe");
        }
    }

    /** Counts the status of one proxied answer ({@code checks.passive}); no-op without passive checks. */
    public void reportStatus(int status) {
        if (passive != null) {
            report(passive.classify(status), passive.successes(), passive.httpFailures(), passive.tcpFailures(),
                    passive.timeouts(), "proxied request");
        }
    }

    /** Counts a proxied request that got no answer: refused or broken ({@code false}), or timed out. */
    public void reportFailure(boolean timeout) {
        if (passive != null) {
            report(timeout ? ProbeResult.TIMEOUT : ProbeResult.TCP_FAILURE, passive.successes(),
                    passive.httpFailures(), passive.tcpFailures(), passive.timeouts(), "proxied request");
        }
    }

    /** Takes the target out now, whatever the counters (a caller's own policy, e.g. ai-proxy-multi's cool-down). */
    public synchronized void markUnhealthy(String why) {
        successes = 0;
        if (healthy) {
            healthy = false;
            LOG.warn("{} marked unhealthy: {}", label, why);
        }
    }

    /** Puts the target back now, whatever the counters. */
    public synchronized void markHealthy(String why) {
        httpFailures = 0;
        tcpFailures = 0;
        timeouts = 0;
        if (!healthy) {
            healthy = true;
            LOG.info("{} marked healthy: {}", label, why);
        }
    }

    private synchronized void report(ProbeResult r, int needSuccesses, int needHttp, int needTcp, int needTimeouts,
                                     String source) {
        switch (r) {
            case SUCCESS -> {
                httpFailures = 0;
                tcpFailures = 0;
                timeouts = 0;
                if (needSuccesses > 0 && ++successes >= needSuccesses && !healthy) {
                    healthy = true;
                    LOG.info("{} marked healthy after {} successful {}s", label, successes, source);
                }
            }
            case HTTP_FAILURE -> failed(needHttp > 0 && ++httpFailures >= needHttp, source, "http status");
            case TCP_FAILURE -> failed(needTcp > 0 && ++tcpFailures >= needTcp, source, "connection failure");
            case TIMEOUT -> failed(needTimeouts > 0 && ++timeouts >= needTimeouts, source, "timeout");
            case IGNORED -> {
                // a status in neither list says nothing
            }
        }
    }

    private void failed(boolean reached, String source, String what) {
        successes = 0;
        if (reached && healthy) {
            healthy = false;
            LOG.warn("{} marked unhealthy: {} failed ({})", label, source, what);
        }
    }

    /** The period until the next probe. */
    public long probeIntervalMs() {
        return healthy ? active.healthyIntervalMs() : active.unhealthyIntervalMs();
    }

    /** The state as the healthcheck endpoint shows it: status and counters (lua-resty-healthcheck's names). */
    public synchronized JsonObject describe() {
        return new JsonObject().put("status", healthy ? "healthy" : "unhealthy")
                .put("counter", new JsonObject().put("success", successes).put("http_failure", httpFailures)
                        .put("tcp_failure", tcpFailures).put("timeout_failure", timeouts));
    }
}
