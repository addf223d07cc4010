package dev.aigw.testkit;

import java.time.Duration;

/**
 * A real Sentinel set-up on 127.0.0.1: a master, one replica ({@code --replicaof}) and one Sentinel
 * (the same {@code redis-server} binary with {@code --sentinel}, quorum 1, a master declared down
 * after one second), each a {@link RedisProcess}. Ready once the replica is in sync and the Sentinel
 * knows both. {@link #failover()} kills the master by PID and waits until the Sentinel has promoted
 * the replica; {@link #close()} stops every process by PID.
 */
public final class RedisSentinel implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(60);

    private final String masterName;
    private RedisProcess master;
    private RedisProcess replica;
    private RedisProcess sentinel;

    private RedisSentinel(String masterName) {
        this.masterName = masterName;
    }

    /** Starts master, replica and Sentinel monitoring {@code masterName}; waits (bounded) until all agree. */
    public static RedisSentinel start(String masterName) {
        return start(masterName, null, null);
    }

    /**
     * As {@link #start(String)}, master and replica protected by {@code password} and the Sentinel by
     * {@code sentinelPassword} (each null: none), as APISIX's {@code redis_password} and
     * {@code sentinel_password} describe them.
     */
    public static RedisSentinel start(String masterName, String password, String sentinelPassword) {
        RedisSentinel s = new RedisSentinel(masterName);
        try {
            s.master = password == null ? RedisProcess.start()
                    : RedisProcess.startWithPassword(password, "--masterauth", password);
            String[] replicaOf = {"--replicaof", "127.0.0.1", Integer.toString(s.master.port())};
            s.replica = password == null ? RedisProcess.start(replicaOf)
                    : RedisProcess.startWithPassword(password, "--replicaof", "127.0.0.1",
                            Integer.toString(s.master.port()), "--masterauth", password);
            s.sentinel = RedisProcess.startSentinel(String.join("\n",
                    "sentinel monitor " + masterName + " 127.0.0.1 " + s.master.port() + " 1",
                    password == null ? "" : "sentinel auth-pass " + masterName + " " + password,
                    "sentinel down-after-milliseconds " + masterName + " 1000",
                    "sentinel failover-timeout " + masterName + " 5000",
                    "sentinel parallel-syncs " + masterName + " 1", ""), sentinelPassword);
            s.await(READY_TIMEOUT, "replica in sync and known to the Sentinel", () ->
                    s.master.query("INFO", "replication").contains("connected_slaves:1")
                            && s.replica.query("INFO", "replication").contains("master_link_status:up")
                            && s.sentinel.query("SENTINEL", "REPLICAS", masterName).contains(
                                    Integer.toString(s.replica.port())));
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public String masterName() {
        return masterName;
    }

    /** The Sentinel (host, port, commands). */
    public RedisProcess sentinel() {
        return sentinel;
    }

    /** The current master (the former replica after {@link #failover()}). */
    public synchronized RedisProcess master() {
        return master;
    }

    /** The port the Sentinel currently names as the master's. */
    public int masterPortBySentinel() {
        String[] addr = sentinel.query("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).split("\n");
        return addr.length == 2 ? Integer.parseInt(addr[1].strip()) : -1;
    }

    /** Waits (bounded, {@code WAIT 1 1000}) until the replica has acknowledged every write so far; true if it has. */
    public synchronized boolean awaitReplicated() {
        return ":1".equals(master.command("WAIT", "1", "1000"));
    }

    /**
     * Kills the master (SIGKILL to its PID) and waits (bounded) until the Sentinel names the replica as
     * the master and the replica accepts writes; the old master stays down.
     */
    public synchronized void failover() {
        RedisProcess old = master;
        old.close();
        await(FAILOVER_TIMEOUT, "the Sentinel to promote the replica", () ->
                masterPortBySentinel() == replica.port()
                        && replica.query("INFO", "replication").contains("role:master"));
        master = replica;
        replica = old;
    }

    private static void await(Duration timeout, String what, java.util.function.BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + " s");
    }

    /** Stops the Sentinel, the replica and the master by PID and removes their temporary directories. */
    @Override
    public synchronized void close() {
        for (RedisProcess p : new RedisProcess[] {sentinel, replica, master}) {
            if (p != null) {
                p.close();
            }
        }
    }
}
