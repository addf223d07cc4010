package dev.aigw.gateway.route;

import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.route.match.Candidate;
import dev.aigw.gateway.route.match.RouteConditions;
import dev.aigw.gateway.store.KeyValue;
import dev.aigw.gateway.store.StoreSnapshot;
import dev.aigw.gateway.store.StoreUpdate;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns store updates into {@link RuntimeConfig}s: validates every route, upstream and global rule,
 * parses plugin configurations, resolves upstreams, merges global rules into every route and keeps
 * the route table up to date.
 *
 * <p><b>Incremental.</b> The builder keeps what it built and applies each {@link StoreUpdate} to it:
 * only the routes an update concerns are rebuilt (the route itself, the routes of a changed
 * {@code upstream_id}, every route when the global rules' plugins change), and the new
 * {@link RouteTable} shares everything else with the previous one. With 10 000 routes a change to one
 * of them costs about what it costs with ten, and leaves little garbage behind. Large updates (the
 * first load, a global rule change) build the table in one go instead.
 *
 * <p>Plugin bindings and upstream handlers are reference-counted: one whose configuration did not
 * change is reused (so a Kafka producer or an HTTP client pool survives unrelated route changes), and
 * one no route uses any more is released once the update is applied.
 *
 * <p>Runs off the event loop, one update at a time. A bad entry that reached the store without the
 * Admin API is skipped with an error log line; it never takes the data plane down. It is never
 * dropped silently either: every stored entry that cannot be loaded as it is stays in
 * {@link #problems()} with the reason until it is fixed or deleted, and is logged once per change of
 * that reason (not again each time a rebuild retries it). The migration check ({@code aigw check})
 * reads the same map, so it reports exactly what the data plane refuses.
 */
public final class RouteTableBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(RouteTableBuilder.class);

    /** Above this many rebuilt routes (and an eighth of the table), the table is rebuilt in one go. */
    private static final int BULK_THRESHOLD = 256;

    /**
     * The resource kinds this gateway loads. An entry of another kind ({@code services},
     * {@code consumers} …) is reported as unsupported: an APISIX configuration that relies on it would
     * not behave the same here. {@code data_plane} holds APISIX's own server reports, not resources.
     */
    private static final Set<String> KINDS = Set.of("routes", "upstreams", "global_rules", "plugin_metadata");
    private static final Set<String> NOT_RESOURCES = Set.of("data_plane");

    /** Validates a stored document of one kind ({@code routes}, {@code upstreams}, {@code global_rules}): null when valid. */
    @FunctionalInterface
    public interface Validator {
        String validate(String kind, JsonObject doc);
    }

    private static final Comparator<PluginBinding<?>> BY_PRIORITY =
            (a, b) -> Integer.compare(b.priority(), a.priority());

    private final String prefixSlash;
    private final PluginRegistry registry;
    private final Function<JsonObject, UpstreamHandler> upstreams;
    private final Validator validator;
    private final Consumer<Collection<UpstreamHandler>> retainUpstreams;

    /** A stored entry as last seen: the entry, the parsed document (null if not JSON), and whether it passed its schema. */
    private record Entry(KeyValue kv, String kind, String id, JsonObject doc, boolean valid) {
    }

    /**
     * A route as built: what it was built from, what it holds (binding keys, upstream handler) and
     * its candidates in the table. {@code cond} is null when the matching fields cannot be compiled
     * (logged once); such a route has no candidates.
     */
    private record Built(Entry entry, Route route, List<String> bindingKeys, RouteConditions cond,
                         List<Candidate> candidates) {
    }

    /** A plugin binding shared by every route (and global rule) with the same plugin configuration. */
    private static final class Held {
        final PluginBinding<?> binding;
        int refs;

        Held(PluginBinding<?> binding) {
            this.binding = binding;
        }
    }

    // the state below is only touched by apply/build/releaseAll, which are synchronized
    private final Map<String, Entry> entries = new HashMap<>();
    private final Map<String, Entry> routeEntries = new HashMap<>();
    private final Map<String, Built> built = new HashMap<>();
    /** Valid routes that could not be built (missing upstream_id, a plugin that refused its config): retried on changes they may depend on. */
    private final Set<String> unbuilt = new HashSet<>();
    private final Map<String, JsonObject> upstreamDocs = new HashMap<>();
    private final Map<String, UpstreamHandler> upstreamById = new HashMap<>();
    private final TreeMap<String, JsonObject> globalRules = new TreeMap<>();
    private final Map<String, JsonObject> metadata = new HashMap<>();
    private final Map<String, Held> bindings = new HashMap<>();
    private final Map<UpstreamHandler, int[]> upstreamRefs = new IdentityHashMap<>();
    private Map<String, PluginBinding<?>> globals = Map.of();
    private List<String> globalKeys = List.of();
    private RuntimeConfig current = RuntimeConfig.EMPTY;
    /** Store key → why that entry cannot be loaded as it is; bounded by the store's size. */
    private final Map<String, String> problems = new HashMap<>();
    /** {@link #problems} as of the last update, for readers on an event loop (no lock). */
    private volatile java.util.SortedMap<String, String> problemsView = java.util.Collections.emptySortedMap();

    /**
     * @param prefix          the store key prefix ({@code /apisix})
     * @param upstreams       returns the (shared, pooled) handler for an upstream definition
     * @param retainUpstreams told which upstream handlers the routes still use whenever one stopped
     *                        being used, so that pools no longer used can be closed
     */
    public RouteTableBuilder(String prefix, PluginRegistry registry,
                             Function<JsonObject, UpstreamHandler> upstreams, Validator validator,
                             Consumer<Collection<UpstreamHandler>> retainUpstreams) {
        this.prefixSlash = prefix.endsWith("/") ? prefix : prefix + "/";
        this.registry = registry;
        this.upstreams = upstreams;
        this.validator = validator;
        this.retainUpstreams = retainUpstreams;
    }

    /**
     * Brings the builder to the full content of {@code snapshot} (entries it does not list are
     * deleted) and returns the runtime configuration. Call from a worker thread.
     */
    public synchronized RuntimeConfig build(StoreSnapshot snapshot) {
        Map<String, KeyValue> changed = new HashMap<>();
        for (KeyValue kv : snapshot.entries().values()) {
            Entry e = entries.get(kv.key());
            if (e == null || !e.kv.equals(kv)) {
                changed.put(kv.key(), kv);
            }
        }
        Set<String> deleted = new HashSet<>();
        for (String key : entries.keySet()) {
            if (!snapshot.entries().containsKey(key)) {
                deleted.add(key);
            }
        }
        return apply(new StoreUpdate(snapshot.revision(), changed, deleted));
    }

    /** Applies one update and returns the new runtime configuration. Call from a worker thread. */
    public synchronized RuntimeConfig apply(StoreUpdate update) {
        Changes ch = new Changes();
        for (String key : update.deleted()) {
            Entry old = entries.remove(key);
            problems.remove(key);
            if (old != null) {
                note(old, null, ch);
            }
        }
        for (KeyValue kv : update.changed().values()) {
            Entry e = check(kv);
            if (e != null) {
                note(entries.put(kv.key(), e), e, ch);
            }
        }
        List<String> oldGlobalKeys = globalKeys;
        if (ch.globals && rebindGlobals()) {
            ch.routes.addAll(routeEntries.keySet());
            ch.routes.addAll(built.keySet());
        } else if (!ch.upstreams.isEmpty() || ch.globals) {
            // the routes of a changed upstream_id, and those that waited for one
            for (Built b : built.values()) {
                Object upId = b.entry.doc.getValue("upstream_id");
                if (upId != null && ch.upstreams.contains(String.valueOf(upId))) {
                    ch.routes.add(b.route.id());
                }
            }
            ch.routes.addAll(unbuilt);
        }

        List<List<Candidate>> removed = new ArrayList<>();
        List<List<Candidate>> added = new ArrayList<>();
        List<Built> replaced = new ArrayList<>();
        for (String id : ch.routes) {
            Built old = built.get(id);
            Entry e = routeEntries.get(id);
            Built b = e == null ? null : buildRoute(id, e, old);
            if (b != null && b.cond != null) {
                problems.remove(e.kv.key());
            }
            if (b != null) {
                built.put(id, b);
                unbuilt.remove(id);
                added.add(b.candidates);
            } else {
                built.remove(id);
                if (e != null) {
                    unbuilt.add(id);
                } else {
                    unbuilt.remove(id);
                }
            }
            if (old != null) {
                removed.add(old.candidates);
                replaced.add(old);
            }
        }
        RouteTable table;
        if (ch.routes.size() > BULK_THRESHOLD && ch.routes.size() > built.size() / 8) {
            List<List<Candidate>> all = new ArrayList<>(built.size());
            for (Built b : built.values()) {
                all.add(b.candidates);
            }
            table = RouteTable.ofCandidates(all);
        } else {
            table = removed.isEmpty() && added.isEmpty() ? current.table() : current.table().update(removed, added);
        }
        // what the old versions of the rebuilt routes held, now that the new ones hold theirs
        List<PluginBinding<?>> unused = new ArrayList<>();
        boolean upstreamDropped = false;
        for (Built old : replaced) {
            unhold(old.bindingKeys, unused);
            upstreamDropped |= unrefUpstream(old.route.upstream());
        }
        if (ch.globals) {
            unhold(oldGlobalKeys, unused);
        }
        if (upstreamDropped) {
            retainUpstreams.accept(List.copyOf(upstreamRefs.keySet()));
        }
        release(unused);
        Map<String, JsonObject> meta = ch.metadata ? Map.copyOf(metadata) : current.pluginMetadata();
        current = new RuntimeConfig(table, meta, update.revision());
        problemsView = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(problems));
        return current;
    }

    /** What one update touched. */
    private static final class Changes {
        final Set<String> routes = new HashSet<>();
        final Set<String> upstreams = new HashSet<>();
        boolean globals;
        boolean metadata;
    }

    /** Parses and validates a stored entry; an entry with the same text as before keeps its parsed document. */
    private Entry check(KeyValue kv) {
        String key = kv.key();
        if (!key.startsWith(prefixSlash)) {
            return null;
        }
        int slash = key.indexOf('/', prefixSlash.length());
        if (slash <= prefixSlash.length() || slash == key.length() - 1) {
            return null; // a directory marker such as "/apisix/routes"
        }
        String kind = key.substring(prefixSlash.length(), slash);
        Entry prev = entries.get(key);
        if (prev != null && prev.kv.value().equals(kv.value())) {
            return new Entry(kv, kind, prev.id, prev.doc, prev.valid);
        }
        String id = key.substring(slash + 1);
        JsonObject doc = parse(kv);
        if (doc == null) {
            report(key, "not a JSON object");
            return new Entry(kv, kind, id, null, false);
        }
        String err = switch (kind) {
            case "routes", "upstreams", "global_rules" -> validator.validate(kind, doc);
            case "plugin_metadata" -> registry.get(id) != null && registry.get(id).metadataSchema() == null
                    ? null // as the Admin API: without a metadata schema any object is accepted
                    : registry.validateMetadata(id, doc);
            default -> NOT_RESOURCES.contains(kind) || KINDS.contains(kind) ? null
                    : "resource kind '" + kind + "' is not supported by aigw";
        };
        if (err != null) {
            report(key, err);
        } else if (!"routes".equals(kind)) {
            problems.remove(key); // a route's remaining problems are decided when it is built
        }
        // plugin metadata is kept even when its plugin refuses it (as before): plugins read it defensively
        boolean ok = err == null || "plugin_metadata".equals(kind);
        return new Entry(kv, kind, id, doc, ok);
    }

    /** Records what replacing {@code old} by {@code now} (either may be null) changes. */
    private void note(Entry old, Entry now, Changes ch) {
        Entry e = now != null ? now : old;
        JsonObject doc = now != null && now.valid ? now.doc : null;
        JsonObject oldDoc = old != null && old.valid ? old.doc : null;
        switch (e.kind) {
            case "routes" -> {
                if (doc != null) {
                    routeEntries.put(e.id, now);
                } else {
                    routeEntries.remove(e.id);
                }
                ch.routes.add(e.id);
            }
            case "upstreams" -> {
                if (doc != oldDoc) { // the same text stored again keeps its document: nothing to rebuild
                    putOrRemove(upstreamDocs, e.id, doc);
                    upstreamById.remove(e.id);
                    ch.upstreams.add(e.id);
                }
            }
            case "global_rules" -> {
                if (doc != oldDoc) {
                    putOrRemove(globalRules, e.kv.key(), doc);
                    ch.globals = true;
                }
            }
            case "plugin_metadata" -> {
                JsonObject m = now == null ? null : now.doc;
                if (m != (old == null ? null : old.doc)) {
                    putOrRemove(metadata, e.id, m);
                    ch.metadata = true;
                }
            }
            default -> {
                // other resources (services, consumers …) are not used by this gateway yet
            }
        }
    }

    private static <V> void putOrRemove(Map<String, V> map, String key, V value) {
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
    }

    /**
     * Binds the plugins of the global rules (in key order; the first rule naming a plugin wins).
     * The previous globals' references are released by the caller. Returns true when the bindings
     * differ from the previous ones, so that every route must be rebuilt.
     */
    private boolean rebindGlobals() {
        Map<String, PluginBinding<?>> next = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, JsonObject> ruleEntry : globalRules.entrySet()) {
            JsonObject plugins = ruleEntry.getValue().getJsonObject("plugins", new JsonObject());
            String refused = null;
            for (String name : plugins.fieldNames()) {
                if (next.containsKey(name)) {
                    continue;
                }
                String key = bindingKey(name, plugins.getJsonObject(name));
                PluginBinding<?> b;
                try {
                    b = hold(key, name, plugins.getJsonObject(name));
                } catch (PluginConfigException ex) {
                    refused = refused == null ? ex.getMessage() : refused + "; " + ex.getMessage();
                    continue; // the rule's other plugins still apply
                }
                next.put(name, b);
                keys.add(key);
            }
            if (refused != null) {
                report(ruleEntry.getKey(), refused);
            } else {
                problems.remove(ruleEntry.getKey());
            }
        }
        boolean same = next.size() == globals.size();
        if (same) {
            var a = next.values().iterator();
            var b = globals.values().iterator();
            while (same && a.hasNext()) {
                same = a.next() == b.next();
            }
        }
        globals = next;
        globalKeys = List.copyOf(keys);
        return !same;
    }

    /** Builds one route, or returns null (logged) when it cannot run. */
    private Built buildRoute(String id, Entry entry, Built old) {
        JsonObject doc = entry.doc;
        Map<String, PluginBinding<?>> merged = new LinkedHashMap<>(globals);
        List<String> keys = new ArrayList<>();
        JsonObject plugins = doc.getJsonObject("plugins", new JsonObject());
        for (String name : plugins.fieldNames()) {
            JsonObject conf = plugins.getJsonObject(name);
            String key = bindingKey(name, conf);
            PluginBinding<?> b;
            try {
                b = hold(key, name, conf);
            } catch (PluginConfigException ex) {
                report(entry.kv.key(), ex.getMessage());
                letGo(keys);
                return null; // a route whose plugin cannot run must not run without it
            }
            keys.add(key);
            merged.put(name, b);
        }
        UpstreamHandler upstream;
        try {
            upstream = upstreamOf(id, doc);
        } catch (RuntimeException ex) {
            report(entry.kv.key(), ex.getMessage());
            letGo(keys);
            return null;
        }
        if (upstream != null) {
            upstreamRefs.computeIfAbsent(upstream, u -> new int[1])[0]++;
        }
        List<PluginBinding<?>> list = new ArrayList<>(merged.values());
        list.sort(BY_PRIORITY);
        Route route = new Route(id, doc.getString("name"), doc, List.copyOf(list), upstream, entry.kv.modRevision());
        RouteConditions cond;
        if (old != null && old.entry.doc == doc) {
            cond = old.cond; // same text: the matching fields compile to the same thing
        } else {
            try {
                cond = RouteConditions.compile(doc);
            } catch (RuntimeException e) {
                report(entry.kv.key(), e.getMessage());
                cond = null;
            }
        }
        List<Candidate> candidates = cond == null ? List.of() : RouteTable.candidatesOf(route, cond);
        return new Built(entry, route, List.copyOf(keys), cond, candidates);
    }

    /** The route's upstream handler, or null when it has none; throws with the reason when it cannot have one. */
    private UpstreamHandler upstreamOf(String id, JsonObject doc) {
        JsonObject inline = doc.getJsonObject("upstream");
        if (inline != null) {
            return upstreams.apply(inline);
        }
        Object upId = doc.getValue("upstream_id");
        if (upId == null) {
            return null;
        }
        String key = String.valueOf(upId);
        UpstreamHandler h = upstreamById.get(key);
        if (h == null) {
            JsonObject up = upstreamDocs.get(key);
            if (up == null) {
                throw new IllegalArgumentException("upstream_id " + key + " does not exist");
            }
            // one resolution per upstream document, however many routes use it
            h = upstreams.apply(up);
            upstreamById.put(key, h);
        }
        return h;
    }

    /** One reference less on an upstream handler; true when no route uses it any more. */
    private boolean unrefUpstream(UpstreamHandler h) {
        if (h == null) {
            return false;
        }
        int[] n = upstreamRefs.get(h);
        if (n == null || --n[0] > 0) {
            return false;
        }
        upstreamRefs.remove(h);
        return true;
    }

    private static String bindingKey(String name, JsonObject conf) {
        return name + '\n' + (conf == null ? new JsonObject() : conf).encode();
    }

    /** One more reference on the binding for this plugin configuration, bound now if new; throws when the plugin refuses it. */
    private PluginBinding<?> hold(String key, String name, JsonObject conf) throws PluginConfigException {
        Held h = bindings.get(key);
        if (h == null) {
            h = new Held(registry.bind(name, conf == null ? new JsonObject() : conf));
            bindings.put(key, h);
        }
        h.refs++;
        return h.binding;
    }

    /** Drops one reference per key; bindings left without any are added to {@code unused}. */
    private void unhold(List<String> keys, List<PluginBinding<?>> unused) {
        for (String key : keys) {
            Held h = bindings.get(key);
            if (h != null && --h.refs <= 0) {
                bindings.remove(key);
                unused.add(h.binding);
            }
        }
    }

    /** Drops the references just taken on {@code keys} (a route that cannot be built after all). */
    private void letGo(List<String> keys) {
        List<PluginBinding<?>> unused = new ArrayList<>();
        unhold(keys, unused);
        release(unused);
    }

    private static void release(Collection<PluginBinding<?>> unused) {
        for (PluginBinding<?> b : unused) {
            try {
                b.release();
            } catch (RuntimeException ex) {
                LOG.warn("plugin {} failed to release a configuration", b.name(), ex);
            }
        }
    }

    /** The route built for {@code id} by the last update (also one left out of the table), or null; for tests. */
    synchronized Route builtRoute(String id) {
        Built b = built.get(id);
        return b == null ? null : b.route;
    }

    /**
     * Every stored entry that cannot be loaded as it is (store key → reason, in key order): invalid
     * JSON or schema, unknown or refused plugin, missing {@code upstream_id}, a kind aigw does not
     * support. A route listed here serves no traffic; a global rule listed here runs without the
     * plugins named in the reason.
     */
    public java.util.SortedMap<String, String> problems() {
        return problemsView; // published at the end of each update: never waits for a build in progress
    }

    /** Records why {@code key} cannot be loaded; logs it only when the reason changed. */
    private void report(String key, String reason) {
        if (!reason.equals(problems.put(key, reason))) {
            LOG.error("{} skipped: {}", key, reason);
        }
    }

    /** Releases every binding (at shutdown) and forgets everything built. */
    public synchronized void releaseAll() {
        List<PluginBinding<?>> all = new ArrayList<>();
        bindings.values().forEach(h -> all.add(h.binding));
        release(all);
        bindings.clear();
        entries.clear();
        routeEntries.clear();
        built.clear();
        unbuilt.clear();
        upstreamDocs.clear();
        upstreamById.clear();
        globalRules.clear();
        metadata.clear();
        upstreamRefs.clear();
        problems.clear();
        problemsView = java.util.Collections.emptySortedMap();
        globals = Map.of();
        globalKeys = List.of();
        current = RuntimeConfig.EMPTY;
    }

    private static JsonObject parse(KeyValue kv) {
        try {
            return new JsonObject(kv.value());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
