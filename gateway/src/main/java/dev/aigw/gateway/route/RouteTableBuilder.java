package dev.aigw.gateway.route;

import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.route.match.RouteConditions;
import dev.aigw.gateway.store.KeyValue;
import dev.aigw.gateway.store.StoreSnapshot;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns a store snapshot into a {@link RuntimeConfig}: validates every route, upstream and global
 * rule, parses plugin configurations, resolves upstreams, merges global rules into every route and
 * compiles the route table.
 *
 * <p>Runs off the event loop, one build at a time. A bad entry that reached the store without the
 * Admin API is skipped with an error log line; it never takes the data plane down. Plugin bindings
 * whose configuration did not change are reused from the previous build (so a Kafka producer or an
 * HTTP client pool survives unrelated route changes) and those no longer used are released.
 */
public final class RouteTableBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(RouteTableBuilder.class);

    /** Validates a stored document of one kind ({@code routes}, {@code upstreams}, {@code global_rules}): null when valid. */
    @FunctionalInterface
    public interface Validator {
        String validate(String kind, JsonObject doc);
    }

    private static final Comparator<PluginBinding<?>> BY_PRIORITY =
            (a, b) -> Integer.compare(b.priority(), a.priority());

    private final String prefix;
    private final String prefixSlash;
    private final PluginRegistry registry;
    private final Function<JsonObject, UpstreamHandler> upstreams;
    private final Validator validator;
    private final Consumer<Collection<UpstreamHandler>> retainUpstreams;
    private Map<String, PluginBinding<?>> bindings = new HashMap<>();

    /**
     * @param prefix    the store key prefix ({@code /apisix})
     * @param upstreams       returns the (shared, pooled) handler for an upstream definition
     * @param retainUpstreams told, after each build, which upstream handlers the new table uses, so
     *                        that pools no longer used can be closed
     */
    public RouteTableBuilder(String prefix, PluginRegistry registry,
                             Function<JsonObject, UpstreamHandler> upstreams, Validator validator,
                             Consumer<Collection<UpstreamHandler>> retainUpstreams) {
        this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        this.prefixSlash = this.prefix + "/";
        this.registry = registry;
        this.upstreams = upstreams;
        this.validator = validator;
        this.retainUpstreams = retainUpstreams;
    }

    /** A stored entry as last seen: its text, the parsed document (null if not JSON), and whether it passed its schema. */
    private record Checked(String value, JsonObject doc, boolean valid) {
    }

    private Map<String, Checked> checked = new HashMap<>();

    /**
     * A route as built last time, with what it was built from: reused as is while its stored entry
     * (same {@link Checked} instance, same revision), its {@code upstream_id} document (same
     * instance) and the global rules' bindings are unchanged. {@code cond} is null when the matching
     * fields cannot be compiled (logged once, when compiled).
     */
    private record Built(Checked entry, long revision, JsonObject upstreamDoc, Route route,
                         Map<String, PluginBinding<?>> ownBindings, RouteConditions cond, boolean condFailed) {
    }

    private Map<String, Built> built = new HashMap<>();
    private List<PluginBinding<?>> lastGlobals = List.of();
    /** Upstream handler per upstream document instance of the last build: spares the canonical key. */
    private Map<JsonObject, UpstreamHandler> upstreamByDoc = new IdentityHashMap<>();

    /** Builds the runtime configuration for a snapshot. Call from a worker thread, never concurrently. */
    public synchronized RuntimeConfig build(StoreSnapshot snapshot) {
        Map<String, Checked> routeEntries = new LinkedHashMap<>();
        Map<String, Checked> upstreamEntries = new HashMap<>();
        Map<String, Long> routeRevisions = new HashMap<>();
        Map<String, JsonObject> upstreamDocs = new HashMap<>();
        List<JsonObject> globalRules = new ArrayList<>();
        Map<String, JsonObject> metadata = new HashMap<>();

        Map<String, Checked> nextChecked = new HashMap<>(Math.max(16, checked.size() * 2));
        for (KeyValue kv : snapshot.entries().values()) {
            String rest = relative(kv.key());
            if (rest == null) {
                continue;
            }
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1) {
                continue; // a directory marker such as "/apisix/routes"
            }
            String kind = rest.substring(0, slash);
            String id = rest.substring(slash + 1);
            // An unchanged entry (same stored text) is neither parsed nor validated again: with many
            // routes, re-validating every one of them on every change dominated the rebuild.
            Checked prev = checked.get(kv.key());
            Checked c;
            if (prev != null && prev.value.equals(kv.value())) {
                c = prev;
            } else {
                JsonObject parsed = parse(kv);
                boolean ok = parsed != null && (kind.equals("plugin_metadata")
                        || !(kind.equals("routes") || kind.equals("upstreams") || kind.equals("global_rules"))
                        || valid(kind, kv.key(), parsed));
                c = new Checked(kv.value(), parsed, ok);
            }
            nextChecked.put(kv.key(), c);
            JsonObject doc = c.doc;
            if (doc == null) {
                continue;
            }
            switch (kind) {
                case "routes" -> {
                    if (c.valid) {
                        routeEntries.put(id, c);
                        routeRevisions.put(id, kv.modRevision());
                    }
                }
                case "upstreams" -> {
                    if (c.valid) {
                        upstreamDocs.put(id, doc);
                        upstreamEntries.put(id, c);
                    }
                }
                case "global_rules" -> {
                    if (c.valid) {
                        globalRules.add(doc);
                    }
                }
                case "plugin_metadata" -> metadata.put(id, doc);
                default -> {
                    // other resources (services, consumers …) are not used by this gateway yet
                }
            }
        }

        Map<String, PluginBinding<?>> next = new HashMap<>();
        Map<String, PluginBinding<?>> globals = new LinkedHashMap<>();
        for (JsonObject rule : globalRules) {
            JsonObject plugins = rule.getJsonObject("plugins", new JsonObject());
            for (String name : plugins.fieldNames()) {
                PluginBinding<?> b = bind(name, plugins.getJsonObject(name), next, "global rule " + rule.getValue("id"));
                if (b != null) {
                    globals.putIfAbsent(name, b);
                }
            }
        }

        List<PluginBinding<?>> globalList = List.copyOf(globals.values());
        // identity of the bindings: a changed global rule yields a new binding, so every route rebuilds
        boolean globalsSame = globalList.size() == lastGlobals.size();
        for (int i = 0; globalsSame && i < globalList.size(); i++) {
            globalsSame = globalList.get(i) == lastGlobals.get(i);
        }
        Map<String, Built> nextBuilt = new HashMap<>(Math.max(16, routeEntries.size() * 2));
        Map<JsonObject, UpstreamHandler> nextUpstreamByDoc = new IdentityHashMap<>();
        List<Route> routes = new ArrayList<>(routeEntries.size());
        List<RouteConditions> conds = new ArrayList<>(routeEntries.size());
        for (Map.Entry<String, Checked> e : routeEntries.entrySet()) {
            String id = e.getKey();
            Checked entry = e.getValue();
            long revision = routeRevisions.get(id);
            JsonObject upDoc = upstreamDocOf(entry.doc, upstreamDocs);
            Built prev = built.get(id);
            Built b;
            if (prev != null && globalsSame && prev.entry == entry && prev.revision == revision
                    && prev.upstreamDoc == upDoc) {
                b = prev;
                next.putAll(b.ownBindings);
            } else {
                b = buildRoute(id, entry, revision, upDoc, globals, next, nextUpstreamByDoc,
                        prev != null && prev.entry == entry ? prev : null);
                if (b == null) {
                    continue;
                }
            }
            nextBuilt.put(id, b);
            if (b.condFailed) {
                continue;
            }
            routes.add(b.route);
            conds.add(b.cond);
            JsonObject effectiveUp = upDoc != null ? upDoc : entry.doc.getJsonObject("upstream");
            if (effectiveUp != null && b.route.upstream() != null) {
                nextUpstreamByDoc.put(effectiveUp, b.route.upstream());
            }
        }
        RouteTable table = RouteTable.build(routes, conds);
        checked = nextChecked;
        built = nextBuilt;
        lastGlobals = globalList;
        upstreamByDoc = nextUpstreamByDoc;
        List<UpstreamHandler> used = new ArrayList<>();
        for (Route r : routes) {
            if (r.upstream() != null) {
                used.add(r.upstream());
            }
        }
        retainUpstreams.accept(used);

        releaseUnused(next);
        bindings = next;
        return new RuntimeConfig(table, Map.copyOf(metadata), snapshot.revision());
    }

    /** The document of the route's {@code upstream_id}, or null (inline or no upstream, or a missing id). */
    private static JsonObject upstreamDocOf(JsonObject doc, Map<String, JsonObject> upstreamDocs) {
        if (doc.getValue("upstream") != null || doc.getValue("upstream_id") == null) {
            return null;
        }
        return upstreamDocs.get(String.valueOf(doc.getValue("upstream_id")));
    }

    private Built buildRoute(String id, Checked entry, long revision, JsonObject upDoc,
                             Map<String, PluginBinding<?>> globals, Map<String, PluginBinding<?>> next,
                             Map<JsonObject, UpstreamHandler> resolvedNow, Built sameText) {
        JsonObject doc = entry.doc;
        Map<String, PluginBinding<?>> merged = new LinkedHashMap<>(globals);
        Map<String, PluginBinding<?>> own = new HashMap<>();
        JsonObject plugins = doc.getJsonObject("plugins", new JsonObject());
        for (String name : plugins.fieldNames()) {
            JsonObject conf = plugins.getJsonObject(name);
            String key = bindingKey(name, conf);
            PluginBinding<?> b = bind(name, conf, next, "route " + id);
            if (b == null) {
                return null; // a route whose plugin cannot run must not run without it
            }
            own.put(key, b);
            merged.put(name, b);
        }
        List<PluginBinding<?>> list = new ArrayList<>(merged.values());
        list.sort(BY_PRIORITY);

        UpstreamHandler upstream = null;
        JsonObject up = doc.getJsonObject("upstream");
        if (up == null && doc.getValue("upstream_id") != null) {
            up = upDoc;
            if (up == null) {
                LOG.error("route {} skipped: upstream_id {} does not exist", id, doc.getValue("upstream_id"));
                return null;
            }
        }
        if (up != null) {
            // the same document instance (an unchanged upstream_id entry) resolves to the same
            // handler: spares computing its canonical key again
            upstream = resolvedNow.get(up);
            if (upstream == null) {
                upstream = upstreamByDoc.get(up);
            }
            if (upstream == null) {
                try {
                    upstream = upstreams.apply(up);
                } catch (RuntimeException ex) {
                    LOG.error("route {} skipped: bad upstream: {}", id, ex.getMessage());
                    return null;
                }
            }
        }
        Route route = new Route(id, doc.getString("name"), doc, List.copyOf(list), upstream, revision);
        RouteConditions cond = null;
        boolean failed = false;
        if (sameText != null) {
            cond = sameText.cond;
            failed = sameText.condFailed;
        } else {
            try {
                cond = RouteConditions.compile(doc);
            } catch (RuntimeException e) {
                LOG.warn("route {} skipped: {}", id, e.getMessage());
                failed = true;
            }
        }
        return new Built(entry, revision, upDoc, route, Map.copyOf(own), cond, failed);
    }

    private static String bindingKey(String name, JsonObject conf) {
        return name + '\n' + (conf == null ? new JsonObject() : conf).encode();
    }

    private PluginBinding<?> bind(String name, JsonObject conf, Map<String, PluginBinding<?>> next, String where) {
        JsonObject c = conf == null ? new JsonObject() : conf;
        String key = bindingKey(name, c);
        PluginBinding<?> b = next.get(key);
        if (b == null) {
            b = bindings.get(key);
        }
        if (b == null) {
            try {
                b = registry.bind(name, c);
            } catch (PluginConfigException ex) {
                LOG.error("{} skipped: {}", where, ex.getMessage());
                return null;
            }
        }
        next.put(key, b);
        return b;
    }

    private void releaseUnused(Map<String, PluginBinding<?>> next) {
        Set<PluginBinding<?>> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(next.values());
        for (PluginBinding<?> old : bindings.values()) {
            if (!kept.contains(old)) {
                try {
                    old.release();
                } catch (RuntimeException ex) {
                    LOG.warn("plugin {} failed to release a configuration", old.name(), ex);
                }
            }
        }
    }

    /** The route built for {@code id} by the last build (also one left out of the table), or null; for tests. */
    synchronized Route builtRoute(String id) {
        Built b = built.get(id);
        return b == null ? null : b.route;
    }

    /** Releases every binding (at shutdown). */
    public synchronized void releaseAll() {
        releaseUnused(Map.of());
        bindings = new HashMap<>();
        built = new HashMap<>();
        lastGlobals = List.of();
        upstreamByDoc = new IdentityHashMap<>();
    }

    private String relative(String key) {
        if (!key.startsWith(prefixSlash)) {
            return null;
        }
        return key.substring(prefixSlash.length());
    }

    private static JsonObject parse(KeyValue kv) {
        try {
            return new JsonObject(kv.value());
        } catch (RuntimeException e) {
            LOG.error("{} skipped: not a JSON object", kv.key());
            return null;
        }
    }

    private boolean valid(String kind, String key, JsonObject doc) {
        String err = validator.validate(kind, doc);
        if (err != null) {
            LOG.error("{} skipped: {}", key, err);
            return false;
        }
        return true;
    }
}
