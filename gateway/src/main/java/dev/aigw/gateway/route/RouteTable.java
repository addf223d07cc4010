package dev.aigw.gateway.route;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Future;

import java.util.List;

/** Placeholder with the agreed API; the real table comes from the router branch. */
public final class RouteTable {

    public static final RouteTable EMPTY = new RouteTable(List.of());

    private final List<Route> routes;

    private RouteTable(List<Route> routes) {
        this.routes = routes;
    }

    public static RouteTable build(List<Route> routes) {
        return new RouteTable(List.copyOf(routes));
    }

    public int size() {
        return routes.size();
    }

    public Future<Route> match(RequestContext ctx) {
        for (Route r : routes) {
            if (ctx.request().path().equals(r.definition().getString("uri"))) {
                return Future.succeededFuture(r);
            }
        }
        return Future.succeededFuture();
    }
}
