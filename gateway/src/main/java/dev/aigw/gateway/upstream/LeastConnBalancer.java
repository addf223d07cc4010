package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * APISIX's {@code least_conn} ({@code apisix/balancer/least_conn.lua}): the node with the lowest
 * {@code (1 + requests in flight) / weight} wins; a pick counts one more in flight and
 * {@link #finished} one less. Ties go round the members, so equal nodes share the load.
 *
 * <p>The counts are shared by every event loop (one atomic per node, no lock) and live as long as the
 * upstream configuration does: {@link Upstreams} reuses this balancer across route rebuilds that leave
 * the upstream unchanged, so in-flight counts are not forgotten on unrelated changes (APISIX #12217).
 * Priorities as in APISIX; weight-0 nodes are never picked.
 */
final class LeastConnBalancer implements Balancer {

    private final List<int[]> groups;
    private final double[] inverseWeight;
    private final AtomicIntegerArray inFlight;
    private final AtomicInteger cursor = new AtomicInteger();

    LeastConnBalancer(List<Node> nodes) {
        this.groups = Balancer.priorityGroups(nodes);
        this.inverseWeight = new double[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            inverseWeight[i] = nodes.get(i).weight() == 0 ? Double.POSITIVE_INFINITY : 1.0 / nodes.get(i).weight();
        }
        this.inFlight = new AtomicIntegerArray(nodes.size());
    }

    @Override
    public int pick(RequestContext ctx, Tries tries) {
        int start = cursor.getAndIncrement() & Integer.MAX_VALUE;
        for (int[] members : groups) {
            int best = -1;
            double bestScore = 0;
            int n = members.length;
            for (int k = 0; k < n; k++) {
                int i = members[(start + k) % n];
                if (tries != null && tries.tried(i)) {
                    continue;
                }
                double score = (1 + inFlight.get(i)) * inverseWeight[i];
                if (best < 0 || score < bestScore) {
                    best = i;
                    bestScore = score;
                }
            }
            if (best >= 0) {
                inFlight.incrementAndGet(best);
                return best;
            }
        }
        return -1;
    }

    @Override
    public void finished(int node, long nanos, boolean retrying) {
        // floored at 0: a release without a pick must not make a node look better than idle
        inFlight.updateAndGet(node, c -> c > 0 ? c - 1 : 0);
    }

    /** Requests in flight on {@code node}; for tests. */
    int inFlight(int node) {
        return inFlight.get(node);
    }
}
