package dev.aigw.gateway.upstream.health;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health check of one target: a {@link ProbeCall} on a Vert.x timer, off the request path
 * and never blocking, one probe at a time (the next is scheduled when the previous one ended, at the
 * healthy or unhealthy interval), each bounded by {@code checks.active.timeout}. Feeds
 * {@link TargetHealth#recordProbe}. The first probe runs right away, so a dead target is found before
 * its first request.
 */
public final class Prober {

    private static final Logger LOG = LoggerFactory.getLogger(Prober.class);

    private final Vertx vertx;
    private final TargetHealth health;
    private final ProbeCall call;
    private final String label;
    private long timer = -1;
    private boolean started;
    private boolean stopped;

    /**
     * @param health the target's state, whose {@link TargetHealth#active} gives the intervals
     * @param call   the probe
     * @param label  the target, for debug logs
     */
    public Prober(Vertx vertx, TargetHealth health, ProbeCall call, String label) {
        if (health.active() == null) {
            throw new IllegalArgumentException("no active check for " + label);
        }
        this.vertx = vertx;
        this.health = health;
        this.call = call;
        this.label = label;
    }

    /** Starts probing (once). */
    public synchronized void start() {
        if (!started && !stopped) {
            started = true;
            schedule(1);
        }
    }

    /** Stops probing and closes the call; a probe in flight is counted no more. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
        call.close();
    }

    /** True until {@link #stop}. */
    public synchronized boolean running() {
        return started && !stopped;
    }

    private synchronized void schedule(long delayMs) {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, delayMs), id -> probe());
        }
    }

    private void probe() {
        synchronized (this) {
            timer = -1;
            if (stopped) {
                return;
            }
        }
        Future<ProbeResult> f;
        try {
            f = call.probe();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        // bounded even if a call ignores its own timeout: the result after this is dropped
        long bound = health.active().timeoutMs() * 2 + 1_000;
        boolean[] settled = {false};
        long guard = vertx.setTimer(bound, id -> settle(settled, ProbeResult.TIMEOUT));
        f.onComplete(ar -> {
            vertx.cancelTimer(guard);
            settle(settled, ar.succeeded() ? ar.result() : classify(ar.cause()));
        });
    }

    private void settle(boolean[] settled, ProbeResult r) {
        synchronized (this) {
            if (settled[0] || stopped) {
                return;
            }
            settled[0] = true;
        }
        LOG.debug("probe of {}: {}", label, r);
        health.recordProbe(r);
        schedule(health.probeIntervalMs());
    }

    /** A failed probe: a timeout, else a connection failure. */
    static ProbeResult classify(Throwable err) {
        for (Throwable c = err; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (c.getClass().getSimpleName().contains("Timeout") || (m != null && m.contains("timed out"))) {
                return ProbeResult.TIMEOUT;
            }
        }
        return ProbeResult.TCP_FAILURE;
    }
}
