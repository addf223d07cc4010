package dev.aigw.gateway.context;

import io.vertx.core.http.HttpConnection;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * nginx's {@code $connection} (a serial number per client connection) and
 * {@code $connection_requests} (how many requests this connection has carried, this one included).
 *
 * <p>Vert.x exposes neither, so one instance (owned by {@link CoreVariables}, not static) numbers the
 * connections it sees, keyed weakly by the {@link HttpConnection} object so closed connections are
 * forgotten by the garbage collector without hooking their close handlers. A request is numbered the
 * first time either variable is read for it, and the answer is kept on the request: a request that
 * never reads them (no access log, no expression using them) is not counted in
 * {@code connection_requests}. The access log reads them after every request, so there the count is
 * exact.
 */
final class ConnectionSerials {

    /** The two numbers of one request. */
    record Numbers(long connection, long requests) {
    }

    /** Mutated only under the map's lock. */
    private static final class State {
        final long serial;
        long requests;

        State(long serial) {
            this.serial = serial;
        }
    }

    private final AtomicLong next = new AtomicLong();
    // WeakHashMap is not thread-safe and connections live on several event loops: one short lock.
    private final Map<HttpConnection, State> states = new WeakHashMap<>();
    // Per-instance key for the request's attribute map, so two registries never share numbers.
    private final Object key = new Object();

    Numbers of(RequestContext ctx) {
        Numbers n = ctx.get(key);
        if (n != null) {
            return n;
        }
        HttpConnection conn = ctx.request().connection();
        if (conn == null) {
            n = new Numbers(next.incrementAndGet(), 1);
        } else {
            synchronized (states) {
                State s = states.computeIfAbsent(conn, c -> new State(next.incrementAndGet()));
                s.requests++;
                n = new Numbers(s.serial, s.requests);
            }
        }
        ctx.put(key, n);
        return n;
    }
}
