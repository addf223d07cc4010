package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * APISIX's {@code ewma} ({@code apisix/balancer/ewma.lua}, after ingress-nginx): each node keeps an
 * exponentially weighted moving average of its response time, decaying with a 10 s time constant; a
 * pick draws two distinct untried nodes at random and takes the one with the lower decayed average
 * ("power of two choices"). A finished try updates its node's average with its duration; a try
 * abandoned for a retry does not (as APISIX: a refused connection is fast but not good).
 *
 * <p>Weights only decide which nodes take part (weight 0 never does), as in APISIX where ewma ignores
 * them. Priorities as in APISIX. State is one atomic reference per node, updated by compare-and-set:
 * no lock on the request path.
 */
final class EwmaBalancer implements Balancer {

    /** APISIX's {@code DECAY_TIME}: 10 s. */
    static final double DECAY_NANOS = 10e9;

    private record Stat(double ewmaSeconds, long touchedNanos) {
    }

    private final List<int[]> groups;
    private final AtomicReferenceArray<Stat> stats;
    private final LongSupplier clock;

    EwmaBalancer(List<Node> nodes) {
        this(nodes, System::nanoTime);
    }

    EwmaBalancer(List<Node> nodes, LongSupplier clock) {
        this.groups = Balancer.priorityGroups(nodes);
        this.stats = new AtomicReferenceArray<>(nodes.size());
        this.clock = clock;
    }

    @Override
    public int pick(RequestContext ctx, Tries tries) {
        for (int[] members : groups) {
            int untried = 0;
            for (int m : members) {
                if (tries == null || !tries.tried(m)) {
                    untried++;
                }
            }
            if (untried == 0) {
                continue;
            }
            if (untried == 1) {
                return nth(members, tries, 0);
            }
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int a = rnd.nextInt(untried);
            int b = rnd.nextInt(untried - 1);
            if (b >= a) {
                b++;
            }
            int na = nth(members, tries, a);
            int nb = nth(members, tries, b);
            long now = clock.getAsLong();
            return score(nb, now) < score(na, now) ? nb : na;
        }
        return -1;
    }

    private static int nth(int[] members, Tries tries, int n) {
        for (int m : members) {
            if (tries == null || !tries.tried(m)) {
                if (n-- == 0) {
                    return m;
                }
            }
        }
        throw new IllegalStateException("fewer untried members than counted");
    }

    /** The node's average decayed to {@code now} (APISIX's score: an update with rtt 0, not stored). */
    double score(int node, long now) {
        Stat s = stats.get(node);
        return s == null ? 0 : decay(s, 0, now);
    }

    private static double decay(Stat s, double rttSeconds, long now) {
        double weight = Math.exp(-Math.max(0, now - s.touchedNanos) / DECAY_NANOS);
        return s.ewmaSeconds * weight + rttSeconds * (1.0 - weight);
    }

    @Override
    public void finished(int node, long nanos, boolean retrying) {
        if (retrying) {
            return;
        }
        double rtt = nanos / 1e9;
        long now = clock.getAsLong();
        while (true) {
            Stat old = stats.get(node);
            // first sample: nothing to decay from, the average is the sample (APISIX: last touch at 0)
            Stat next = new Stat(old == null ? rtt : decay(old, rtt, now), now);
            if (stats.compareAndSet(node, old, next)) {
                return;
            }
        }
    }
}
