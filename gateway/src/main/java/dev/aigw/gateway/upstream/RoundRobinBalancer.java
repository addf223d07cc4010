package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * nginx's smooth weighted round robin (weights 5,1,1 give a a b a c a a, not a a a a a b c).
 *
 * <p>The smooth sequence is precomputed once per configuration (its length is the sum of the
 * weights divided by their gcd, capped) so that a pick is one atomic increment shared by every event
 * loop instead of a lock. Nodes with a higher {@code priority} are used first; lower priorities are
 * only reached on retries, once every node of the higher ones was tried (APISIX's priority balancer).
 * Weight-0 nodes are never picked.
 */
final class RoundRobinBalancer implements Balancer {

    /** Beyond this sequence length, weights are scaled down (keeps memory bounded for odd weights). */
    private static final int MAX_SEQUENCE = 1 << 16;

    private record Group(int[] members, int[] sequence, AtomicInteger cursor) {
    }

    private final List<Group> groups;

    RoundRobinBalancer(List<Node> nodes) {
        List<Group> gs = new ArrayList<>();
        for (int[] m : Balancer.priorityGroups(nodes)) {
            gs.add(new Group(m, sequence(nodes, m), new AtomicInteger()));
        }
        this.groups = List.copyOf(gs);
    }

    /** The smooth weighted round-robin order over the members, one cycle. */
    static int[] sequence(List<Node> nodes, int[] members) {
        long[] w = new long[members.length];
        long gcd = 0;
        long sum = 0;
        for (int i = 0; i < members.length; i++) {
            w[i] = nodes.get(members[i]).weight();
            gcd = Balancer.gcd(gcd, w[i]);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= gcd;
            sum += w[i];
        }
        if (sum > MAX_SEQUENCE) {
            // scale down proportionally, keeping every node at least once
            double f = (double) MAX_SEQUENCE / sum;
            sum = 0;
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(1, Math.round(w[i] * f));
                sum += w[i];
            }
        }
        int[] seq = new int[(int) sum];
        long[] current = new long[w.length];
        for (int s = 0; s < seq.length; s++) {
            int best = -1;
            for (int i = 0; i < w.length; i++) {
                current[i] += w[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= sum;
            seq[s] = members[best];
        }
        return seq;
    }

    @Override
    public int pick(RequestContext ctx, Tries tries) {
        for (Group g : groups) {
            if (!hasUntried(g, tries)) {
                continue;
            }
            int[] seq = g.sequence;
            // one ticket, then a walk of our own over one full cycle, which visits every member with a
            // weight (draws from the shared cursor interleave with other event loops' and could miss
            // the one member left); the slots walked past are then taken off the cursor, so the
            // requests after this one start beyond them, as they would with one draw per slot
            int start = (g.cursor.getAndIncrement() & Integer.MAX_VALUE) % seq.length;
            for (int n = 0; n < seq.length; n++) {
                int idx = seq[(start + n) % seq.length];
                if (tries == null || !tries.tried(idx)) {
                    if (n > 0) {
                        g.cursor.getAndAdd(n);
                    }
                    return idx;
                }
            }
        }
        return -1;
    }

    private static boolean hasUntried(Group g, Tries tries) {
        if (tries == null || tries.count == 0) {
            return true;
        }
        for (int m : g.members) {
            if (!tries.tried(m)) {
                return true;
            }
        }
        return false;
    }
}
