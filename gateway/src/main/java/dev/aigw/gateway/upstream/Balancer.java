package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Picks a node of one upstream for one try of a request. Built once per upstream configuration and
 * shared by every event loop, so implementations are thread-safe and lock-free on the hot path.
 */
sealed interface Balancer permits RoundRobinBalancer, ChashBalancer, LeastConnBalancer, EwmaBalancer {

    /**
     * Index (into the upstream's node list) of the node for this try, skipping the nodes already
     * {@linkplain Tries#tried tried}; -1 when none is left.
     */
    int pick(RequestContext ctx, Tries tries);

    /**
     * The try on {@code node} (an index {@link #pick} returned) is over: the response ended, failed, or
     * the client went away, after {@code nanos} since the pick. {@code retrying} when the request moves
     * on to another node (APISIX's {@code after_balance(ctx, before_retry)}). Called once per pick;
     * balancers that keep per-node state (connections in flight, latency) update it here.
     */
    default void finished(int node, long nanos, boolean retrying) {
    }

    /**
     * The nodes with a weight, grouped by {@code priority}, highest first (APISIX's priority balancer:
     * a lower priority is only reached once every node of the higher ones was tried).
     */
    static List<int[]> priorityGroups(List<Node> nodes) {
        TreeMap<Integer, List<Integer>> byPriority = new TreeMap<>((a, b) -> Integer.compare(b, a));
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).weight() > 0) {
                byPriority.computeIfAbsent(nodes.get(i).priority(), p -> new ArrayList<>()).add(i);
            }
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> members : byPriority.values()) {
            out.add(members.stream().mapToInt(Integer::intValue).toArray());
        }
        return List.copyOf(out);
    }

    /** Greatest common divisor, to reduce node weights before building a schedule or a ring. */
    static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * Per-request retry state: which nodes failed already, plus the balancer's cursor for retries. Nodes a
     * health check took out are {@linkplain #skip skipped} for the whole request, as if tried (APISIX builds
     * the request's picker from the healthy nodes only).
     */
    final class Tries {
        final boolean[] tried;
        /** Unhealthy nodes, or null when every node may be picked. */
        boolean[] skip;
        int count;
        /** chash: ring position of the last pick, -1 before the first. */
        int ringPos = -1;

        Tries(int nodes) {
            this.tried = new boolean[nodes];
        }

        void mark(int node) {
            if (!tried[node]) {
                tried[node] = true;
                count++;
            }
        }

        boolean tried(int node) {
            return tried[node] || (skip != null && skip[node]);
        }
    }
}
