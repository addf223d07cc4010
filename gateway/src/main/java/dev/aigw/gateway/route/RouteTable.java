package dev.aigw.gateway.route;

import dev.aigw.gateway.context.PostArgPath;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.route.match.Candidate;
import dev.aigw.gateway.route.match.ContextVars;
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
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
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
    public static final RouteTable EMPTY = new RouteTable(Map.of(), new WildcardHost[0], UriIndex.EMPTY, 0);

    private record WildcardHost(String suffix, UriIndex index) {
    }

    private final Map<String, UriIndex> exactHosts;
    /** Longest suffix first, so {@code *} (the empty suffix) comes last. */
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
        List<List<Candidate>> perRoute = new ArrayList<>(routes.size());
        for (Route route : routes) {
            if (route == null || route.definition() == null) {
                continue;
            }
            RouteConditions cond;
            try {
                cond = RouteConditions.compile(route.definition());
            } catch (RuntimeException e) {
                LOG.warn("route {} skipped: {}", route.id(), e.getMessage());
                continue;
            }
            perRoute.add(candidatesOf(route, cond));
        }
        return ofCandidates(perRoute);
    }

    /**
     * The candidates of one route, one per uri in the order of its uris; empty when the route is
     * disabled ({@code status: 0}). They depend on nothing but the route, so the same list can be
     * handed to {@link #ofCandidates} and {@link #update} for as long as the route is unchanged
     * (and must be, for {@link #update} to remove it).
     */
    public static List<Candidate> candidatesOf(Route route, RouteConditions cond) {
        if (!cond.enabled()) {
            return List.of();
        }
        List<PathPattern> uris = cond.uris();
        Candidate[] out = new Candidate[uris.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new Candidate(route, cond, uris.get(i), i);
        }
        return List.of(out);
    }

    /**
     * Builds a table at once from each route's {@link #candidatesOf candidates}; its {@link #size()}
     * is the number of non-empty lists.
     */
    public static RouteTable ofCandidates(Collection<List<Candidate>> perRoute) {
        Map<String, UriIndex.Builder> exact = new HashMap<>();
        Map<String, UriIndex.Builder> wildcard = new HashMap<>();
        UriIndex.Builder any = new UriIndex.Builder();
        int size = 0;
        for (List<Candidate> candidates : perRoute) {
            if (candidates.isEmpty()) {
                continue;
            }
            size++;
            for (Candidate c : candidates) {
                List<String> hosts = c.conditions().hosts();
                if (hosts.isEmpty()) {
                    any.add(c);
                    continue;
                }
                for (int h = 0; h < hosts.size(); h++) {
                    String host = hosts.get(h);
                    if (hosts.indexOf(host) != h) {
                        continue; // a host listed twice: one entry is enough, and update removes one
                    }
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
        Map<String, UriIndex> wild = new HashMap<>();
        wildcard.forEach((suffix, b) -> wild.put(suffix, b.build()));
        return new RouteTable(exactHosts, wildcardArray(wild), any.build(), size);
    }

    /**
     * A new table with the {@code removed} routes' candidates taken out (by identity: pass the very
     * lists this table was built or updated with) and the {@code added} ones put in. Every host
     * index the change does not touch is shared with this table, and within a touched index only
     * the nodes on the changed uri keys are copied, so one route change costs O(its uri keys' length)
     * plus a copy of the host maps. A host left without candidates disappears. {@link #size()} goes
     * down by the non-empty removed lists and up by the non-empty added ones; removing a route this
     * table does not hold is the caller's error (its candidates are skipped, the size still drops).
     * All removals are applied before the additions, so replacing a route is removing its old list
     * and adding its new one in the same call.
     */
    public RouteTable update(List<List<Candidate>> removed, List<List<Candidate>> added) {
        Map<String, UriIndex> exact = new HashMap<>(Math.max(16, exactHosts.size() * 2));
        exact.putAll(exactHosts);
        Map<String, UriIndex> wild = new HashMap<>();
        for (WildcardHost w : wildcardHosts) {
            wild.put(w.suffix, w.index);
        }
        Edit edit = new Edit(exact, wild, anyHost);
        int newSize = size;
        for (List<Candidate> candidates : removed) {
            if (!candidates.isEmpty()) {
                newSize--;
                for (Candidate c : candidates) {
                    edit.apply(c, false);
                }
            }
        }
        for (List<Candidate> candidates : added) {
            if (!candidates.isEmpty()) {
                newSize++;
                for (Candidate c : candidates) {
                    edit.apply(c, true);
                }
            }
        }
        exact.values().removeIf(ix -> ix.size() == 0);
        wild.values().removeIf(ix -> ix.size() == 0);
        return new RouteTable(exact, wildcardArray(wild), edit.any, newSize);
    }

    /** The host indexes being changed by one {@link #update}. */
    private static final class Edit {
        final Map<String, UriIndex> exact;
        final Map<String, UriIndex> wild;
        UriIndex any;

        Edit(Map<String, UriIndex> exact, Map<String, UriIndex> wild, UriIndex any) {
            this.exact = exact;
            this.wild = wild;
            this.any = any;
        }

        void apply(Candidate c, boolean add) {
            List<String> hosts = c.conditions().hosts();
            if (hosts.isEmpty()) {
                any = add ? any.with(c) : any.without(c);
                return;
            }
            for (int h = 0; h < hosts.size(); h++) {
                String host = hosts.get(h);
                if (hosts.indexOf(host) != h) {
                    continue; // as ofCandidates: a host listed twice holds the candidate once
                }
                boolean wildcard = host.startsWith("*");
                Map<String, UriIndex> map = wildcard ? wild : exact;
                String k = wildcard ? host.substring(1) : host;
                UriIndex ix = map.getOrDefault(k, UriIndex.EMPTY);
                map.put(k, add ? ix.with(c) : ix.without(c));
            }
        }
    }

    /**
     * Wildcard hosts longest suffix first. Two different suffixes of one length can never both end
     * the same host, so the order among equal lengths does not change any match; it is by suffix
     * only to be deterministic.
     */
    private static WildcardHost[] wildcardArray(Map<String, UriIndex> wild) {
        WildcardHost[] out = new WildcardHost[wild.size()];
        int i = 0;
        for (Map.Entry<String, UriIndex> e : wild.entrySet()) {
            out[i++] = new WildcardHost(e.getKey(), e.getValue());
        }
        Arrays.sort(out, Comparator.comparingInt((WildcardHost w) -> w.suffix.length()).reversed()
                .thenComparing(WildcardHost::suffix));
        return out;
    }

    /** The index of requests to exactly {@code host} (lower case), or null; for tests of sharing. */
    UriIndex exactHostIndex(String host) {
        return exactHosts.get(host);
    }

    /** The index of routes without hosts; for tests of sharing. */
    UriIndex anyHostIndex() {
        return anyHost;
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
        long limit = ctx.postArgsLimit();
        if (limit > 0 && announcedLength(req) > limit) {
            // APISIX's max_post_args_readable_size: not read, post_arg.* has no value
            ctx.postArgsUnread();
            m.bodyAvailable = true;
            return find(m) == UriIndex.MATCH ? m.finish() : NO_ROUTE;
        }
        return ctx.readBody().compose(body -> {
            m.bodyAvailable = true;
            return find(m) == UriIndex.MATCH ? m.finish() : NO_ROUTE;
        });
    }

    private static long announcedLength(HttpServerRequest req) {
        String cl = req.getHeader("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private int find(Matching m) {
        // the host is read only when some route has hosts
        return find(hasHostRoutes ? m.host() : null, m.path, m);
    }

    private int find(String host, String path, UriIndex.Test test) {
        if (hasHostRoutes) {
            UriIndex ix = exactHosts.get(host);
            if (ix != null) {
                int r = ix.find(path, test);
                if (r != UriIndex.NO) {
                    return r;
                }
            }
            for (WildcardHost w : wildcardHosts) {
                if (host.endsWith(w.suffix)) {
                    int r = w.index.find(path, test);
                    if (r != UriIndex.NO) {
                        return r;
                    }
                }
            }
        }
        return anyHost.find(path, test);
    }

    /**
     * The route a request to {@code host} (lower case, no port) and normalized {@code path} gets
     * when only uris and hosts decide (no methods, remote addresses or vars are checked); for tests.
     */
    Route matchUriAndHost(String host, String path) {
        Candidate[] found = new Candidate[1];
        int r = find(host, path, c -> {
            if (!c.path().matchesRest(path)) {
                return UriIndex.NO;
            }
            found[0] = c;
            return UriIndex.MATCH;
        });
        return r == UriIndex.MATCH ? found[0].route() : null;
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
            return ContextVars.var(ctx, name);
        }

        @Override
        public Object postArg(PostArgPath path) {
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
