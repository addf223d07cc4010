package dev.aigw.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of three masters without replicas, each a {@link RedisProcess} started with
 * {@code --cluster-enabled yes} on a free 127.0.0.1 port; the 16384 slots are split in three
 * ({@code CLUSTER ADDSLOTS}, as {@code redis-cli --cluster create} does) and the nodes meet. Ready
 * once every node reports {@code cluster_state:ok}; {@link #close()} stops every node by PID.
 */
public final class RedisCluster implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final int SLOTS = 16384;

    private final List<RedisProcess> nodes;

    private RedisCluster(List<RedisProcess> nodes) {
        this.nodes = nodes;
    }

    /** Starts three masters, assigns the slots, joins them and waits (bounded) for {@code cluster_state:ok}. */
    public static RedisCluster start() {
        return start(null);
    }

    /**
     * As {@link #start()}, every node protected by {@code password} ({@code requirepass}, and
     * {@code masterauth} for the cluster bus); null: none. A node {@link RedisProcess#restart() restarted}
     * keeps its {@code nodes.conf} and rejoins with its slots.
     */
    public static RedisCluster start(String password) {
        List<RedisProcess> nodes = new ArrayList<>();
        RedisCluster c = new RedisCluster(nodes);
        try {
            for (int i = 0; i < 3; i++) {
                // nodes.conf lives in each node's own temporary directory (--dir)
                String[] args = {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000"};
                nodes.add(password == null ? RedisProcess.start(args) : RedisProcess.startWithPassword(password,
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "5000", "--masterauth", password));
            }
            for (int i = 0; i < 3; i++) {
                int from = i * SLOTS / 3;
                int to = (i + 1) * SLOTS / 3;
                List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
                for (int s = from; s < to; s++) {
                    args.add(Integer.toString(s));
                }
                expectOk(nodes.get(i).command(args.toArray(String[]::new)), "ADDSLOTS");
            }
            for (int i = 1; i < 3; i++) {
                expectOk(nodes.get(0).command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(i).port())),
                        "MEET");
            }
            c.awaitOk();
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static void expectOk(String reply, String what) {
        if (!"+OK".equals(reply)) {
            throw new IllegalStateException("CLUSTER " + what + ": " + reply);
        }
    }

    /** Waits (bounded) until every running node reports {@code cluster_state:ok} again (after a restart). */
    public void awaitOk() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (RedisProcess n : nodes) {
                String info = n.query("CLUSTER", "INFO");
                // every node must know all three and agree the slots are covered
                ok &= info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3");
            }
            if (ok) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster", e);
            }
        }
        throw new IllegalStateException("cluster not ok within " + READY_TIMEOUT.toSeconds() + " s: "
                + nodes.get(0).query("CLUSTER", "INFO"));
    }

    /** The three masters (ports, commands to one node). */
    public List<RedisProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** {@code 127.0.0.1:port} of every node, as {@code redis_cluster_nodes} lists them. */
    public List<String> endpoints() {
        return nodes.stream().map(n -> n.host() + ":" + n.port()).toList();
    }

    /** The hash slot of a key as the cluster computes it ({@code CLUSTER KEYSLOT}). */
    public int slotOf(String key) {
        return Integer.parseInt(nodes.get(0).command("CLUSTER", "KEYSLOT", key).substring(1));
    }

    /** The node that serves a key's slot. */
    public RedisProcess nodeFor(String key) {
        int slot = slotOf(key);
        for (int i = 0; i < 3; i++) {
            if (slot >= i * SLOTS / 3 && slot < (i + 1) * SLOTS / 3) {
                return nodes.get(i);
            }
        }
        throw new IllegalArgumentException("slot " + slot);
    }

    /** Stops every node by PID and removes its temporary directory. */
    @Override
    public void close() {
        for (RedisProcess n : nodes) {
            n.close();
        }
    }
}
