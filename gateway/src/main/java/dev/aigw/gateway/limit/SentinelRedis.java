package dev.aigw.gateway.limit;

import dev.aigw.gateway.net.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The {@code redis-sentinel} policy as APISIX (lua-resty-redis-connector) does it: the Sentinels are
 * asked, with {@code sentinel_username/password}, which node is the master (or, for
 * {@code redis_role: slave}, a healthy replica, else the master), and that node is reached with
 * {@code redis_username/password} and {@code redis_database}. Vert.x's own Sentinel client reuses the
 * Sentinel's credentials and database for the master, so a master with its own password (the usual
 * set-up: a password-less Sentinel in front of a protected master) could not be reached.
 *
 * <p>The answer is kept and asked again in the background once it is older than a second (a
 * failover is seen within about a second even while the old node still answers, e.g. as a demoted
 * replica), and at once after a failure that is not a Redis reply (the master died: connections
 * closed or refused). Everything is non-blocking; only one question to the Sentinels runs at a time.
 */
final class SentinelRedis implements Redis {

    private static final long REFRESH_MS = 1000;

    /** The node in use and one client (pool) for it. */
    private record Target(String endpoint, Redis client, long resolvedAt, boolean failed) {
    }

    private final Vertx vertx;
    private final List<Redis> sentinels;
    private final String masterName;
    private final boolean replica;
    private final Function<String, Redis> nodeClient;
    private final long timeoutMs;
    private final AtomicReference<Target> current = new AtomicReference<>();
    private final AtomicReference<Future<Target>> resolving = new AtomicReference<>();

    /**
     * @param sentinels  one client per Sentinel, with the Sentinel's credentials
     * @param nodeClient a new client for a {@code host:port} node, with the node's credentials and database
     * @param timeoutMs  bound on each question to a Sentinel
     */
    SentinelRedis(Vertx vertx, List<Redis> sentinels, String masterName, boolean replica,
                  Function<String, Redis> nodeClient, long timeoutMs) {
        this.vertx = vertx;
        this.sentinels = List.copyOf(sentinels);
        this.masterName = masterName;
        this.replica = replica;
        this.nodeClient = nodeClient;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public Future<Response> send(Request request) {
        return target().compose(t -> watch(t, t.client.send(request)));
    }

    @Override
    public Future<List<Response>> batch(List<Request> requests) {
        return target().compose(t -> watch(t, t.client.batch(requests)));
    }

    @Override
    public Future<RedisConnection> connect() {
        return target().compose(t -> watch(t, t.client.connect()));
    }

    @Override
    public Future<Void> close() {
        List<Future<Void>> all = new ArrayList<>();
        Target t = current.getAndSet(null);
        if (t != null) {
            all.add(t.client.close());
        }
        sentinels.forEach(s -> all.add(s.close()));
        return Future.join(all).mapEmpty();
    }

    private Future<Target> target() {
        Target t = current.get();
        if (t == null || t.failed) {
            return resolve();
        }
        if (System.currentTimeMillis() - t.resolvedAt > REFRESH_MS) {
            resolve(); // in the background: this request goes to the node known so far
        }
        return Future.succeededFuture(t);
    }

    /** A failure that is not a Redis reply (or is READONLY/LOADING/MASTERDOWN) means: ask the Sentinels again. */
    private <T> Future<T> watch(Target t, Future<T> f) {
        return f.onFailure(err -> {
            String m = err.getMessage();
            boolean reply = err instanceof Response && (m == null || !(m.startsWith("READONLY")
                    || m.startsWith("LOADING") || m.startsWith("MASTERDOWN")));
            if (!reply) {
                // the next request waits for the Sentinels' answer instead of trying this node again
                current.compareAndSet(t, new Target(t.endpoint, t.client, 0, true));
            }
        });
    }

    /**
     * One question to the Sentinels at a time; callers share its answer, each on its own event loop
     * (the shared future completes on the asker's).
     */
    private Future<Target> resolve() {
        while (true) {
            Future<Target> inFlight = resolving.get();
            if (inFlight != null) {
                return OnContext.here(inFlight);
            }
            Promise<Target> p = Promise.promise();
            if (resolving.compareAndSet(null, p.future())) {
                ask(0).map(this::install).onComplete(ar -> {
                    resolving.set(null);
                    p.handle(ar);
                });
                return OnContext.here(p.future());
            }
        }
    }

    /** Asks the Sentinels in order until one names a node. */
    private Future<String> ask(int i) {
        if (i >= sentinels.size()) {
            return Future.failedFuture("no Sentinel names a " + (replica ? "replica or master" : "master")
                    + " for " + masterName);
        }
        Redis s = sentinels.get(i);
        Future<String> node = replica
                ? s.send(Request.cmd(Command.SENTINEL).arg("REPLICAS").arg(masterName))
                        .timeout(timeoutMs, TimeUnit.MILLISECONDS).compose(r -> {
                            String picked = pickReplica(r);
                            return picked != null ? Future.succeededFuture(picked) : master(s);
                        })
                : master(s);
        return node.recover(err -> ask(i + 1));
    }

    private Future<String> master(Redis s) {
        return s.send(Request.cmd(Command.SENTINEL).arg("GET-MASTER-ADDR-BY-NAME").arg(masterName))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS).compose(r -> r == null || r.size() != 2
                        ? Future.failedFuture("unknown master " + masterName)
                        : Future.succeededFuture(hostPort(r.get(0).toString(), r.get(1).toString())));
    }

    /** A healthy replica: the one in use if it still is, else a random one; null when there is none. */
    private String pickReplica(Response replicas) {
        List<String> healthy = new ArrayList<>();
        for (int i = 0; replicas != null && i < replicas.size(); i++) {
            Response e = replicas.get(i);
            String flags = field(e, "flags");
            if (flags == null || flags.contains("s_down") || flags.contains("o_down") || flags.contains("disconnected")) {
                continue;
            }
            healthy.add(hostPort(field(e, "ip"), field(e, "port")));
        }
        Target t = current.get();
        if (t != null && healthy.contains(t.endpoint)) {
            return t.endpoint;
        }
        return healthy.isEmpty() ? null : healthy.get(ThreadLocalRandom.current().nextInt(healthy.size()));
    }

    /** A field of one SENTINEL REPLICAS entry: a map (RESP3) or a flat name/value array (RESP2). */
    private static String field(Response e, String name) {
        if (e.type() != ResponseType.MULTI) {
            return null;
        }
        try {
            if (e.containsKey(name)) {
                Response v = e.get(name);
                return v == null ? null : v.toString();
            }
        } catch (UnsupportedOperationException notAMap) {
            // RESP2: a flat array
        }
        for (int j = 0; j + 1 < e.size(); j += 2) {
            if (name.equals(e.get(j).toString())) {
                return e.get(j + 1).toString();
            }
        }
        return null;
    }

    private static String hostPort(String host, String port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Keeps the client when the node is unchanged; a new node gets a new client, the old one closes a little later. */
    private Target install(String endpoint) {
        Target old = current.get();
        long now = System.currentTimeMillis();
        Target next = old != null && old.endpoint.equals(endpoint)
                ? new Target(endpoint, old.client, now, false)
                : new Target(endpoint, nodeClient.apply(endpoint), now, false);
        Target before = current.getAndSet(next);
        if (before != null && before.client != next.client) {
            // requests still running on it end (or time out) first
            vertx.setTimer(Math.max(1000, timeoutMs * 2), id -> before.client.close());
        }
        return next;
    }
}
