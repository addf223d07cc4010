package dev.aigw.gateway.upstream;

import dev.aigw.gateway.upstream.UpstreamDefinition.Node;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APISIX's least_conn and ewma balancers, picked without a network (the proxying is HttpUpstreamTest's). */
class BalancerTest {

    private static Node node(String host, int weight, int priority) {
        return new Node(host, 80, weight, priority);
    }

    @Test
    void leastConnPicksTheNodeWithFewestRequestsPerWeight() {
        LeastConnBalancer b = new LeastConnBalancer(List.of(node("a", 1, 0), node("b", 1, 0), node("c", 2, 0)));
        // idle: c scores (1+0)/2, lowest
        assertEquals(2, b.pick(null, null));
        // now a, b and c all score 1: ties share the load, none picked twice before each once
        int x = b.pick(null, null);
        int y = b.pick(null, null);
        int z = b.pick(null, null);
        assertEquals(3, java.util.Set.of(x, y, z).size(), "ties go round: " + x + y + z);
        assertEquals(1, b.inFlight(0));
        assertEquals(2, b.inFlight(2));
        // a long request on a: when b finishes, b is the least loaded of the weight-1 nodes
        b.finished(1, 1_000, false);
        b.finished(2, 1_000, false);
        b.finished(2, 1_000, false);
        assertEquals(0, b.inFlight(1));
        // scores: a (1+1)/1 = 2, b 1, c (1+0)/2: c first; then b and c tie at 1, and a (still busy) waits
        assertEquals(2, b.pick(null, null));
        int next = b.pick(null, null);
        assertTrue(next == 1 || next == 2, "the busy node a is not picked: " + next);
    }

    @Test
    void leastConnSkipsTriedNodesAndUsesLowerPrioritiesLast() {
        List<Node> nodes = List.of(node("a", 1, 10), node("b", 1, 10), node("backup", 1, 0), node("off", 0, 10));
        LeastConnBalancer b = new LeastConnBalancer(nodes);
        Balancer.Tries tries = new Balancer.Tries(nodes.size());
        for (int i = 0; i < 50; i++) {
            int n = b.pick(null, null);
            assertTrue(n == 0 || n == 1, "only priority 10 with a weight while it has untried nodes: " + n);
            b.finished(n, 1, false);
        }
        int first = b.pick(null, tries);
        tries.mark(first);
        b.finished(first, 1, true);
        int second = b.pick(null, tries);
        assertEquals(1 - first, second, "a retry goes to the other node of the same priority");
        tries.mark(second);
        b.finished(second, 1, true);
        assertEquals(2, b.pick(null, tries), "then to the lower priority");
        tries.mark(2);
        assertEquals(-1, b.pick(null, tries), "weight 0 is never picked");
    }

    @Test
    void leastConnNeverCountsBelowZero() {
        LeastConnBalancer b = new LeastConnBalancer(List.of(node("a", 1, 0), node("b", 1, 0)));
        b.finished(0, 1, false);
        assertEquals(0, b.inFlight(0));
    }

    @Test
    void ewmaPrefersTheFasterNodeAndForgetsOldLatency() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        EwmaBalancer b = new EwmaBalancer(List.of(node("fast", 1, 0), node("slow", 1, 0)), now::get);
        b.finished(0, 10_000_000L, false);     // 10 ms
        b.finished(1, 2_000_000_000L, false);  // 2 s
        // two nodes: both are drawn every time, the lower average wins
        for (int i = 0; i < 20; i++) {
            assertEquals(0, b.pick(null, null));
        }
        assertEquals(2.0, b.score(1, now.get()), 1e-9, "the first sample is the average");
        // 10 s later (one decay constant) the slow node's average has decayed to 2/e
        now.addAndGet(10_000_000_000L);
        assertEquals(2.0 / Math.E, b.score(1, now.get()), 1e-9);
        // a fast answer from slow now: the decayed average moves towards it
        b.finished(1, 1_000_000L, false);
        assertEquals(2.0 / Math.E + 0.001 * (1 - 1 / Math.E), b.score(1, now.get()), 1e-9,
                "decayed average plus the new sample weighted by 1 - e^(-dt/10s)");
    }

    @Test
    void ewmaIgnoresTriesAbandonedForARetryAndSkipsTriedNodes() {
        AtomicLong now = new AtomicLong(5);
        List<Node> nodes = List.of(node("a", 1, 0), node("b", 1, 0), node("c", 1, 0), node("off", 0, 0));
        EwmaBalancer b = new EwmaBalancer(nodes, now::get);
        b.finished(0, 1_000L, true);
        assertEquals(0.0, b.score(0, now.get()), "a refused connection is fast, not good: not recorded");
        Balancer.Tries tries = new Balancer.Tries(nodes.size());
        Map<Integer, Integer> seen = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            seen.merge(b.pick(null, null), 1, Integer::sum);
        }
        assertEquals(3, seen.size(), "idle nodes are drawn at random, weight 0 never: " + seen);
        tries.mark(0);
        tries.mark(2);
        assertEquals(1, b.pick(null, tries));
        tries.mark(1);
        assertEquals(-1, b.pick(null, tries));
    }

    @Test
    void unhealthyNodesAreSkippedByEveryBalancer() {
        List<Node> nodes = List.of(node("a", 1, 0), node("b", 1, 0), node("c", 3, 0));
        List<Balancer> all = List.of(new RoundRobinBalancer(nodes), new LeastConnBalancer(nodes), new EwmaBalancer(nodes));
        for (Balancer b : all) {
            String name = b.getClass().getSimpleName();
            Map<Integer, Integer> seen = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                Balancer.Tries tries = new Balancer.Tries(nodes.size());
                tries.skip = new boolean[] {false, false, true}; // c was taken out by a health check
                int n = b.pick(null, tries);
                seen.merge(n, 1, Integer::sum);
                b.finished(n, 1_000, false);
            }
            assertEquals(java.util.Set.of(0, 1), seen.keySet(), name + " picked " + seen);
            for (int i = 0; i < 10; i++) {
                Balancer.Tries tries = new Balancer.Tries(nodes.size());
                tries.skip = new boolean[] {false, false, true};
                int n = b.pick(null, tries);
                tries.mark(n);
                b.finished(n, 1_000, true);
                int retry = b.pick(null, tries);
                assertEquals(1 - n, retry, name + ": a retry goes to the other healthy node");
                tries.mark(retry);
                b.finished(retry, 1_000, true);
                assertEquals(-1, b.pick(null, tries), name + ": every healthy node tried, none left");
            }
        }
    }
}
