package dev.aigw.gateway.route;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.route.match.Candidate;
import dev.aigw.gateway.route.match.LuaValues;
import dev.aigw.gateway.route.match.Methods;
import dev.aigw.gateway.route.match.PathPattern;
import dev.aigw.gateway.route.match.RequestPath;
import dev.aigw.gateway.route.match.RouteConditions;
import dev.aigw.gateway.route.match.UriIndex;
import dev.aigw.gateway.route.match.VarSource;
import dev.aigw.gateway.route.match.VarsExpr;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The immutable route table: every route's matching fields compiled once, indexed for lookup.
 * Built off the event loop on each configuration change and swapped in atomically; any number of
 * event loops may call {@link #match} concurrently.
 *
 * <h2>Matching order (APISIX's default router, {@code radixtree_host_uri})</h2>
 * <ol>
 * <li>Routes with hosts come first: routes listing the request's host exactly, then routes with a
 *     wildcard host ({@code *.example.com}, suffix match, longest suffix first, {@code *} last).
 *     Only when none of them matches are routes without hosts tried. The request host is the
 *     {@code Host} header without port, compared case-insensitively.</li>
 * <li>Within each of those sets, by uri as lua-resty-radixtree: an exact uri first, then prefix and
 *     parameter uris ({@code /v1/*}, {@code /foo*}, {@code /user/:id}) from the longest literal
 *     prefix to the shortest.</li>
 * <li>Routes with the same uri key: higher {@code priority} first, then the longer configured uri,
 *     then the smaller route id (see {@link Candidate}).</li>
 * <li>The first candidate whose {@code methods}, {@code remote_addrs}, parameter segments and
 *     {@code vars} all hold wins. {@code status: 0} routes are left out.</li>
 * </ol>
 * Parameter uris ({@code :name}) are always on, as APISIX's {@code radixtree_uri_with_parameter};
 * captured values are set on the request as {@code uri_param_<name>}.
 *
 * <h2>The request body</h2>
 * A {@code vars} condition on {@code post_arg.*} needs the body. It is read only when a candidate
 * passes every other check and its expression cannot be decided without the body (for example
 * {@code [["arg_a","==","1"],["post_arg.model","==","x"]]} with no {@code a=1} never reads it).
 * Otherwise the body is left untouched, for the gateway to stream upstream.
 */
public final class RouteTable {

    private static final Logger LOG = LoggerFactory.getLogger(RouteTable.class);

    private static final Future<Route> NO_ROUTE = Future.succeededFuture(null);

    /** The table without routes. */
    public static final RouteTable EMPTY = new RouteTable(Map.of(), new WildcardHost[0],
            new UriIndex.Builder().build(), 0);

    private record WildcardHost(String suffix, UriIndex index) {
    }

    private final Map<String, UriIndex> exactHosts;
    private final WildcardHost[] wildcardHosts;
    private final UriIndex anyHost;
    private final boolean hasHostRoutes;
    private final int size;

    private RouteTable(Map<String, UriIndex> exactHosts, WildcardHost[] wildcardHosts, UriIndex anyHost, int size) {
        this.exactHosts = exactHosts;
        this.wildcardHosts = wildcardHosts;
        this.anyHost = anyHost;
        this.hasHostRoutes = !exactHosts.isEmpty() || wildcardHosts.length > 0;
        this.size = size;
    }

    /**
     * Builds a table. Routes with {@code status: 0} are left out; a route whose matching fields
     * cannot be compiled is logged and left out, never failing the whole build.
     */
    public static RouteTable build(List<Route> routes) {
        return build(routes, null);
    }

    /**
     * As {@link #build(List)}, with the routes' matching fields already compiled: {@code conditions}
     * (same size as {@code routes}, or null) holds each route's {@link RouteConditions}, or null to
     * compile it here. Lets a rebuild after one change skip recompiling thousands of unchanged routes.
     */
    public static RouteTable build(List<Route> routes, List<RouteConditions> conditions) {
        Map<String, UriIndex.Builder> exact = new HashMap<>();
        Map<String, UriIndex.Builder> wildcard = new LinkedHashMap<>();
        UriIndex.Builder any = new UriIndex.Builder();
        int size = 0;
        int order = 0;
        for (Route route : routes) {
            order++;
            if (route == null || route.definition() == null) {
                continue;
            }
            RouteConditions cond = conditions == null ? null : conditions.get(order - 1);
            if (cond == null) {
                try {
                    cond = RouteConditions.compile(route.definition());
                } catch (RuntimeException e) {
                    LOG.warn("route {} skipped: {}", route.id(), e.getMessage());
                    continue;
                }
            }
            if (!cond.enabled()) {
                continue;
            }
            size++;
            for (PathPattern uri : cond.uris()) {
                Candidate c = new Candidate(route, cond, uri, order);
                if (cond.hosts().isEmpty()) {
                    any.add(c);
                    continue;
                }
                for (String host : cond.hosts()) {
                    if (host.startsWith("*")) {
                        wildcard.computeIfAbsent(host.substring(1), k -> new UriIndex.Builder()).add(c);
                    } else {
                        exact.computeIfAbsent(host, k -> new UriIndex.Builder()).add(c);
                    }
                }
            }
        }
        Map<String, UriIndex> exactHosts = new HashMap<>(Math.max(16, exact.size() * 2));
        exact.forEach((h, b) -> exactHosts.put(h, b.build()));
        List<WildcardHost> wild = new ArrayList<>(wildcard.size());
        wildcard.forEach((suffix, b) -> wild.add(new WildcardHost(suffix, b.build())));
        wild.sort(Comparator.comparingInt((WildcardHost w) -> w.suffix.length()).reversed());
        return new RouteTable(exactHosts, wild.toArray(new WildcardHost[0]), any.build(), size);
    }

    /** Number of enabled, usable routes. */
    public int size() {
        return size;
    }

    /**
     * Checks a {@code vars} expression for the Admin API: null when valid, else the complete error
     * message as APISIX words it ({@code failed to validate the 'vars' expression: rule too short}).
     */
    public static String validateVars(JsonArray vars) {
        String err = VarsExpr.validate(vars);
        return err == null ? null : "failed to validate the 'vars' expression: " + err;
    }

    /**
     * Finds the route for a request: the matched route, or null when none matches. Completes at
     * once unless the decision needs the request body ({@code post_arg.*}); then the body is read
     * (once, capped) and a failure to read it, such as
     * {@link RequestContext.BodyTooLargeException}, fails the returned future.
     */
    public Future<Route> match(RequestContext ctx) {
        if (size == 0) {
            return NO_ROUTE;
        }
        HttpServerRequest req = ctx.request();
        Matching m = new Matching(ctx, RequestPath.normalize(req.path()), Methods.bit(req.method().name()),
                ctx.body() != null);
        int r = find(m);
        if (r == UriIndex.MATCH) {
            return m.finish();
        }
        if (r == UriIndex.NO) {
            return NO_ROUTE;
        }
        return ctx.readBody().compose(body -> {
            m.bodyAvailable = true;
            return find(m) == UriIndex.MATCH ? m.finish() : NO_ROUTE;
        });
    }

    private int find(Matching m) {
        if (hasHostRoutes) {
            String host = m.host();
            UriIndex ix = exactHosts.get(host);
            if (ix != null) {
                int r = ix.find(m.path, m);
                if (r != UriIndex.NO) {
                    return r;
                }
            }
            for (WildcardHost w : wildcardHosts) {
                if (host.endsWith(w.suffix)) {
                    int r = w.index.find(m.path, m);
                    if (r != UriIndex.NO) {
                        return r;
                    }
                }
            }
        }
        return anyHost.find(m.path, m);
    }

    /** The state of one lookup: the request facts read once, and the candidate found. */
    private static final class Matching implements UriIndex.Test, VarSource {
        private final RequestContext ctx;
        private final String path;
        private final int methodBit;
        boolean bodyAvailable;
        private String remote;
        private boolean remoteRead;
        private Candidate matched;

        Matching(RequestContext ctx, String path, int methodBit, boolean bodyAvailable) {
            this.ctx = ctx;
            this.path = path;
            this.methodBit = methodBit;
            this.bodyAvailable = bodyAvailable;
        }

        @Override
        public int test(Candidate c) {
            RouteConditions cond = c.conditions();
            if (!cond.acceptsMethod(methodBit)) {
                return UriIndex.NO;
            }
            if (cond.remotes() != null && !cond.acceptsRemote(remote())) {
                return UriIndex.NO;
            }
            if (!c.path().matchesRest(path)) {
                return UriIndex.NO;
            }
            VarsExpr vars = cond.vars();
            if (!vars.isAlways()) {
                int r = vars.eval(this, bodyAvailable);
                if (r == VarsExpr.UNKNOWN) {
                    return UriIndex.NEED_BODY;
                }
                if (r == VarsExpr.FALSE) {
                    return UriIndex.NO;
                }
            }
            matched = c;
            return UriIndex.MATCH;
        }

        Future<Route> finish() {
            PathPattern p = matched.path();
            if (p.hasParams()) {
                for (String[] kv : p.params(path)) {
                    ctx.setVar("uri_param_" + kv[0], kv[1]);
                }
            }
            return matched.resolved();
        }

        @Override
        public Object var(String name) {
            Object v = ctx.var(name);
            // nginx variables are strings; a resolver may hand back a number (status, a count)
            return v instanceof Number n ? LuaValues.numberToString(n) : v;
        }

        @Override
        public Object postArg(String path) {
            return ctx.postArg(path);
        }

        String remote() {
            if (!remoteRead) {
                remoteRead = true;
                SocketAddress a = ctx.request().remoteAddress();
                remote = a == null ? null : a.hostAddress();
            }
            return remote;
        }

        String host() {
            HttpServerRequest req = ctx.request();
            String h = req.getHeader("Host");
            if (h == null) {
                HostAndPort a = req.authority();
                return a == null || a.host() == null ? "" : a.host().toLowerCase(Locale.ROOT);
            }
            return hostWithoutPort(h);
        }
    }

    /** {@code Example.COM:8080} → {@code example.com}; {@code [::1]:80} → {@code [::1]}. */
    static String hostWithoutPort(String h) {
        int end;
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            end = close < 0 ? h.length() : close + 1;
        } else {
            int colon = h.indexOf(':');
            end = colon < 0 ? h.length() : colon;
        }
        String host = end == h.length() ? h : h.substring(0, end);
        return host.toLowerCase(Locale.ROOT); // returns the same instance when already lower case
    }
}
