package dev.aigw.gateway.route.match;

import dev.aigw.gateway.route.Route;
import io.vertx.core.Future;

/**
 * One (route, uri) pair of the index. A route with several uris has one candidate per uri, all
 * sharing the route's compiled conditions.
 *
 * <p>A candidate depends only on its route, never on the other routes of a table, so one instance
 * is reused as is by every table built while its route is unchanged; persistent updates remove it
 * by identity.
 */
public final class Candidate {

    private final Route route;
    private final RouteConditions conditions;
    private final PathPattern path;
    private final int uriPos;
    private final Future<Route> resolved;

    /**
     * @param route      the route
     * @param conditions the route's compiled matching fields
     * @param path       one of {@code conditions.uris()}
     * @param uriPos     the position of {@code path} in the route's uris, the last tie-breaker
     */
    public Candidate(Route route, RouteConditions conditions, PathPattern path, int uriPos) {
        this.route = route;
        this.conditions = conditions;
        this.path = path;
        this.uriPos = uriPos;
        // an already-completed future is immutable: one per route spares an allocation per request
        this.resolved = Future.succeededFuture(route);
    }

    public Route route() {
        return route;
    }

    public RouteConditions conditions() {
        return conditions;
    }

    public PathPattern path() {
        return path;
    }

    /** The position of {@link #path()} in the route's uris. */
    public int uriPos() {
        return uriPos;
    }

    /** The route as a completed future. */
    public Future<Route> resolved() {
        return resolved;
    }

    /**
     * lua-resty-radixtree's order among candidates of the same uri key: higher {@code priority}
     * first, then the longer configured uri (the more specific pattern), then — our choice, where
     * radixtree keeps insertion order — the smaller route id, so the result never depends on the
     * order in which routes reached the store, then the uri's position in the route (two uris of
     * one route may share a key).
     */
    static int compare(Candidate a, Candidate b) {
        int c = Long.compare(b.conditions.priority(), a.conditions.priority());
        if (c != 0) {
            return c;
        }
        c = Integer.compare(b.path.source().length(), a.path.source().length());
        if (c != 0) {
            return c;
        }
        String ia = a.route.id() == null ? "" : a.route.id();
        String ib = b.route.id() == null ? "" : b.route.id();
        c = ia.compareTo(ib);
        return c != 0 ? c : Integer.compare(a.uriPos, b.uriPos);
    }
}
