package dev.aigw.gateway.server;

import java.util.concurrent.atomic.LongAdder;

/**
 * Connection and request counts of the traffic server, nginx stub_status style (what APISIX exposes
 * as {@code nginx_http_current_connections{state}} and {@code http_requests_total}). Counted with
 * adders: no lock on the request path.
 *
 * <p>Vert.x parses a request's head before the gateway sees it, so no connection is ever observed
 * "reading": {@link #reading()} is 0, {@link #writing()} is the requests in flight and
 * {@link #waiting()} the open connections with no request in flight (idle keep-alive).
 */
public final class ServerStats {

    final LongAdder accepted = new LongAdder();
    final LongAdder closed = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder inFlight = new LongAdder();

    /** Connections accepted since start. */
    public long accepted() {
        return accepted.sum();
    }

    /** Connections handled since start (all accepted ones: the gateway drops none for lack of resources). */
    public long handled() {
        return accepted.sum();
    }

    /** Open client connections. */
    public long active() {
        return Math.max(0, accepted.sum() - closed.sum());
    }

    public long reading() {
        return 0;
    }

    /** Requests being answered. */
    public long writing() {
        return Math.max(0, inFlight.sum());
    }

    /** Open connections with no request in flight. */
    public long waiting() {
        return Math.max(0, active() - writing());
    }

    /** Client requests since start. */
    public long requests() {
        return requests.sum();
    }
}
