package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.upstream.health.TargetHealth;

/**
 * The health of one instance identity, shared by every route that uses it: the core's
 * {@link TargetHealth} (active probes with lua-resty-healthcheck's thresholds) plus ai-proxy-multi's own
 * passive policy ({@link PassiveCheck}: consecutive failed attempts take the instance out; without an
 * active check a cool-down lets it back on trial) and the 429 pause of the rate_limiting strategy.
 * Written from any event loop and from the prober; {@link #available} only reads volatile fields.
 */
final class InstanceHealth {

    private final TargetHealth target;
    private final boolean probed;
    private final PassiveCheck passive;

    /** Passive cool-down end (nanoTime) while out and no prober decides. */
    private volatile long outUntil;
    private volatile long rateLimitedUntil;
    private int consecutiveFailures;

    InstanceHealth(TargetHealth target, PassiveCheck passive) {
        this.target = target;
        this.probed = target.active() != null;
        this.passive = passive;
    }

    /** A fresh health for the instance (label: its name, never a key). */
    static InstanceHealth of(MultiInstance inst) {
        return new InstanceHealth(new TargetHealth("ai-proxy-multi instance " + inst.name(), inst.active(), null),
                inst.passive());
    }

    /** The core state the prober feeds. */
    TargetHealth target() {
        return target;
    }

    /** True when the instance may take a request now. */
    boolean available(long nowNanos) {
        if (rateLimitedUntil != 0 && nowNanos - rateLimitedUntil < 0) {
            return false;
        }
        if (target.healthy()) {
            return true;
        }
        // out: a prober decides when it is back; without one the cool-down lets a request try it
        return !probed && nowNanos - outUntil >= 0;
    }

    /** True unless a check took the instance out (rate limiting aside). */
    boolean healthy() {
        return target.healthy();
    }

    /** An attempt on this instance got an answer that is not the instance's fault. */
    synchronized void recordSuccess() {
        consecutiveFailures = 0;
        target.markHealthy("answered again");
    }

    /** An attempt failed: refused, timed out, or a 5xx. */
    synchronized void recordFailure() {
        consecutiveFailures++;
        if (consecutiveFailures >= passive.failures()) {
            outUntil = System.nanoTime() + passive.cooldownMs() * 1_000_000L;
            target.markUnhealthy("failed " + consecutiveFailures + " times in a row");
        }
    }

    /** A 429 under the rate_limiting strategy: out for {@code ms}. */
    void rateLimited(long ms) {
        rateLimitedUntil = System.nanoTime() + Math.max(1, ms) * 1_000_000L;
    }
}
