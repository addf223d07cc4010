package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;

/**
 * Picks a node of one upstream for one try of a request. Built once per upstream configuration and
 * shared by every event loop, so implementations are thread-safe and lock-free on the hot path.
 */
sealed interface Balancer permits RoundRobinBalancer, ChashBalancer {

    /**
     * Index (into the upstream's node list) of the node for this try, skipping the nodes already
     * {@linkplain Tries#tried tried}; -1 when none is left.
     */
    int pick(RequestContext ctx, Tries tries);

    /** Greatest common divisor, to reduce node weights before building a schedule or a ring. */
    static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** Per-request retry state: which nodes failed already, plus the balancer's cursor for retries. */
    final class Tries {
        final boolean[] tried;
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
            return tried[node];
        }
    }
}
