package dev.aigw.gateway.route;

import dev.aigw.gateway.consumer.ConsumerGroup;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.resource.DataEncryption;
import dev.aigw.gateway.resource.EncryptedFields;
import dev.aigw.gateway.resource.ResourceKind;
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
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns store updates into {@link RuntimeConfig}s: validates every stored entry against its
 * {@link ResourceKind}, parses plugin configurations, resolves upstreams, merges each route's service
 * and plugin config (route &gt; plugin config &gt; service) and the global rules into it, and keeps the
 * route table up to date.
 *
 * <p><b>Incremental.</b> The builder keeps what it built and applies each {@link StoreUpdate} to it:
 * only the routes an update concerns are rebuilt (the route itself, the routes of a changed
 * upstream, service or plugin config they depend on, every route when the global rules' plugins change), and the new
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
     * Keys under the prefix that hold no resource: APISIX's own server reports ({@code data_plane}) and
     * id counters. Any other unknown kind is reported as unsupported: an APISIX configuration that relies
     * on it would not behave the same here.
     */
    private static final Set<String> NOT_RESOURCES = Set.of("data_plane", "gen_id");
    /** Kinds whose entries can still fail after their schema check, when their plugins are bound. */
    private static final Set<ResourceKind> BOUND_LATER = Set.of(ResourceKind.ROUTES, ResourceKind.CONSUMERS,
            ResourceKind.CREDENTIALS, ResourceKind.CONSUMER_GROUPS);

    /** Validates a stored document of one kind against its schema: null when valid, else the reason. */
    @FunctionalInterface
    public interface Validator {
        String validate(ResourceKind kind, JsonObject doc);
    }

    private static final Comparator<PluginBinding<?>> BY_PRIORITY =
            (a, b) -> Integer.compare(b.priority(), a.priority());

    private final String prefixSlash;
    private final PluginRegistry registry;
    private final Function<JsonObject, UpstreamHandler> upstreams;
    private final Validator validator;
    private final Consumer<Collection<UpstreamHandler>> retainUpstreams;
    private final EncryptedFields secrets;

    /** A stored entry as last seen: the entry, the parsed document (null if not JSON), and whether it passed its schema. */
    private record Entry(KeyValue kv, ResourceKind kind, String id, JsonObject doc, boolean valid) {
    }

    /**
     * A route as built: what it was built from, what it holds (binding keys, upstream handler) and
     * its candidates in the table. {@code cond} is null when the matching fields cannot be compiled
     * (logged once); such a route has no candidates.
     */
    private record Built(Entry entry, Route route, List<String> bindingKeys, RouteConditions cond,
                         List<Candidate> candidates, List<String> deps) {
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
    /** The upstreams, services and plugin configs by id: what routes refer to. */
    private final Map<ResourceKind, Map<String, JsonObject>> referenced = Map.of(
            ResourceKind.UPSTREAMS, new HashMap<>(),
            ResourceKind.SERVICES, new HashMap<>(),
            ResourceKind.PLUGIN_CONFIGS, new HashMap<>());
    private final Map<String, UpstreamHandler> upstreamById = new HashMap<>();
    private final TreeMap<String, JsonObject> globalRules = new TreeMap<>();
    private final Map<String, JsonObject> metadata = new HashMap<>();
    private final Map<String, Held> bindings = new HashMap<>();
    private final Map<UpstreamHandler, int[]> upstreamRefs = new IdentityHashMap<>();
    private final Map<String, Entry> consumerEntries = new TreeMap<>();
    private final Map<String, Entry> credentialEntries = new TreeMap<>();
    private final Map<String, Entry> groupEntries = new TreeMap<>();
    private List<String> consumerKeys = List.of();
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
        this(prefix, registry, upstreams, validator, retainUpstreams,
                new EncryptedFields(DataEncryption.NONE, registry));
    }

    /**
     * @param secrets decrypts the plugins' secret fields of what is read (APISIX's decrypt_conf)
     */
    public RouteTableBuilder(String prefix, PluginRegistry registry,
                             Function<JsonObject, UpstreamHandler> upstreams, Validator validator,
                             Consumer<Collection<UpstreamHandler>> retainUpstreams, EncryptedFields secrets) {
        this.secrets = secrets;
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
        } else if (!ch.refs.isEmpty() || ch.globals) {
            // the routes of a changed upstream, service or plugin config, and those that waited for one
            for (Built b : built.values()) {
                for (String dep : b.deps) {
                    if (ch.refs.contains(dep)) {
                        ch.routes.add(b.route.id());
                        break;
                    }
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
        List<PluginBinding<?>> globalList = current.globalPlugins();
        if (ch.globals || globalList.size() != globals.size()) {
            globalList = new ArrayList<>(globals.values());
            globalList.sort(BY_PRIORITY);
            globalList = List.copyOf(globalList);
        }
        Consumers consumers;
        if (ch.consumers) {
            consumers = buildConsumers();
        } else {
            // merges cached for routes that were just replaced must not outlive them
            consumers = table == current.table() ? current.consumers() : current.consumers().withFreshCache();
        }
        current = new RuntimeConfig(table, meta, update.revision(), globalList, consumers);
        problemsView = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(problems));
        return current;
    }

    /** What one update touched. */
    private static final class Changes {
        final Set<String> routes = new HashSet<>();
        /** changed upstreams, services and plugin configs ({@link #depKey}) */
        final Set<String> refs = new HashSet<>();
        boolean globals;
        boolean metadata;
        boolean consumers;
    }

    /** Parses and validates a stored entry; an entry with the same text as before keeps its parsed document. */
    private Entry check(KeyValue kv) {
        String key = kv.key();
        ResourceKind.Located loc = ResourceKind.locate(prefixSlash, key);
        if (loc == null) {
            reportUnsupported(key); // a directory marker such as "/apisix/routes" or gen_id is not a problem
            return null;
        }
        Entry prev = entries.get(key);
        if (prev != null && prev.kv.value().equals(kv.value())) {
            return new Entry(kv, loc.kind(), prev.id, prev.doc, prev.valid);
        }
        JsonObject doc = parse(kv);
        if (doc == null) {
            report(key, "not a JSON object");
            return new Entry(kv, loc.kind(), loc.id(), null, false);
        }
        String err = validator.validate(loc.kind(), doc);
        if (err == null && loc.kind() == ResourceKind.PLUGIN_METADATA && registry.get(loc.id()) != null
                && registry.get(loc.id()).metadataSchema() != null) {
            err = registry.validateMetadata(loc.id(), doc);
        }
        if (err != null) {
            report(key, err);
        } else if (!BOUND_LATER.contains(loc.kind())) {
            problems.remove(key); // a route's or consumer's remaining problems are decided when it is built
        }
        // plugin metadata is kept even when its plugin refuses it (as before): plugins read it defensively
        boolean ok = err == null || loc.kind() == ResourceKind.PLUGIN_METADATA;
        if (ok) {
            doc = secrets.decrypt(loc.kind(), doc); // secret fields are stored encrypted, as APISIX stores them
        }
        return new Entry(kv, loc.kind(), loc.id(), doc, ok);
    }

    /** A key of a kind aigw does not load (ssls, stream_routes, protos …) is reported, never silently ignored. */
    private void reportUnsupported(String key) {
        String kind = ResourceKind.kindSegment(prefixSlash, key);
        if (kind != null && !NOT_RESOURCES.contains(kind) && ResourceKind.named(kind) == null) {
            report(key, "resource kind '" + kind + "' is not supported by aigw");
        }
    }

    /** Records what replacing {@code old} by {@code now} (either may be null) changes. */
    private void note(Entry old, Entry now, Changes ch) {
        Entry e = now != null ? now : old;
        JsonObject doc = now != null && now.valid ? now.doc : null;
        JsonObject oldDoc = old != null && old.valid ? old.doc : null;
        ResourceKind kind = e.kind;
        if (kind == ResourceKind.ROUTES) {
            if (doc != null) {
                routeEntries.put(e.id, now);
            } else {
                routeEntries.remove(e.id);
            }
            ch.routes.add(e.id);
        } else if (kind == ResourceKind.UPSTREAMS || kind == ResourceKind.SERVICES
                || kind == ResourceKind.PLUGIN_CONFIGS) {
            if (doc != oldDoc) { // the same text stored again keeps its document: nothing to rebuild
                putOrRemove(referenced.get(kind), e.id, doc);
                if (kind == ResourceKind.UPSTREAMS) {
                    upstreamById.remove(e.id);
                }
                ch.refs.add(depKey(kind, e.id));
            }
        } else if (kind == ResourceKind.GLOBAL_RULES) {
            if (doc != oldDoc) {
                putOrRemove(globalRules, e.kv.key(), doc);
                ch.globals = true;
            }
        } else if (kind == ResourceKind.CONSUMERS || kind == ResourceKind.CREDENTIALS
                || kind == ResourceKind.CONSUMER_GROUPS) {
            Map<String, Entry> map = kind == ResourceKind.CONSUMERS ? consumerEntries
                    : kind == ResourceKind.CREDENTIALS ? credentialEntries : groupEntries;
            // credentials by store key: two consumers may have credentials of the same id
            String k = kind == ResourceKind.CREDENTIALS ? e.kv.key() : e.id;
            putOrRemove(map, k, doc == null ? null : now);
            ch.consumers = true;
        } else if (kind == ResourceKind.PLUGIN_METADATA) {
            JsonObject m = now == null ? null : now.doc;
            if (m != (old == null ? null : old.doc)) {
                putOrRemove(metadata, e.id, m);
                ch.metadata = true;
            }
        }
    }

    /** The key a route's dependency on one referenced entry is recorded under: {@code services/1}. */
    private static String depKey(ResourceKind kind, String id) {
        return kind.name() + '/' + id;
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
                    b = hold(key, name, plugins.getJsonObject(name)).ownedBy(ruleEntry.getKey());
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
                PluginBinding<?> x = a.next();
                PluginBinding<?> y = b.next();
                same = x.config() == y.config() && x.plugin() == y.plugin() && Objects.equals(x.owner(), y.owner());
            }
        }
        globals = next;
        globalKeys = List.copyOf(keys);
        return !same;
    }

    /** Builds one route, or returns null (logged) when it cannot run. */
    private Built buildRoute(String id, Entry entry, Built old) {
        List<String> deps = new ArrayList<>(3);
        Map<String, String> owners = new HashMap<>();
        JsonObject doc;
        try {
            doc = effective(entry.doc, deps, owners);
        } catch (IllegalArgumentException ex) {
            LOG.error("route {} skipped: {}", id, ex.getMessage());
            return null;
        }
        Map<String, PluginBinding<?>> merged = new LinkedHashMap<>(globals);
        List<String> keys = new ArrayList<>();
        JsonObject plugins = doc.getJsonObject("plugins", new JsonObject());
        for (String name : plugins.fieldNames()) {
            JsonObject conf = plugins.getJsonObject(name);
            String key = bindingKey(name, conf);
            PluginBinding<?> b;
            try {
                b = hold(key, name, conf).ownedBy(owners.getOrDefault(name, entry.kv.key()));
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
        if (old != null && (old.route.definition() == doc || old.route.definition().equals(doc))) {
            cond = old.cond; // the same matching fields compile to the same thing
        } else {
            try {
                cond = RouteConditions.compile(doc);
            } catch (RuntimeException e) {
                report(entry.kv.key(), e.getMessage());
                cond = null;
            }
        }
        List<Candidate> candidates = cond == null ? List.of() : RouteTable.candidatesOf(route, cond);
        return new Built(entry, route, List.copyOf(keys), cond, candidates, List.copyOf(deps));
    }

    /**
     * The route as it runs: its plugin config's and its service's plugins merged under its own
     * (route > plugin config > service, APISIX's {@code plugin_config.merge} then
     * {@code merge_service_route}), and the service's upstream and hosts when the route has none.
     * The route's own document when it refers to neither. Adds what it depends on to {@code deps};
     * throws when a referenced service or plugin config does not exist.
     */
    private JsonObject effective(JsonObject route, List<String> deps, Map<String, String> owners) {
        JsonObject pc = referencedDoc(route, "plugin_config_id", ResourceKind.PLUGIN_CONFIGS, deps);
        JsonObject svc = referencedDoc(route, "service_id", ResourceKind.SERVICES, deps);
        JsonObject doc = route;
        if (pc != null || svc != null) {
            doc = route.copy();
            JsonObject plugins = new JsonObject();
            // the service's, then the plugin config's, then the route's own: a later one replaces an
            // earlier one, and each keeps the key of the resource it was written in (its counters')
            String[] ownerKeys = {
                    svc == null ? null : ownerKey(ResourceKind.SERVICES, route.getValue("service_id")),
                    pc == null ? null : ownerKey(ResourceKind.PLUGIN_CONFIGS, route.getValue("plugin_config_id")),
                    null};
            JsonObject[] from = {svc, pc, route};
            for (int i = 0; i < from.length; i++) {
                JsonObject p = from[i] == null ? null : from[i].getJsonObject("plugins");
                if (p != null) {
                    String owner = ownerKeys[i];
                    p.forEach(e -> {
                        plugins.put(e.getKey(), e.getValue());
                        if (owner == null) {
                            owners.remove(e.getKey());
                        } else {
                            owners.put(e.getKey(), owner);
                        }
                    });
                }
            }
            if (!plugins.isEmpty()) {
                doc.put("plugins", plugins);
            }
            if (svc != null) {
                if (!route.containsKey("upstream") && !route.containsKey("upstream_id")) {
                    if (svc.getValue("upstream") != null) {
                        doc.put("upstream", svc.getValue("upstream"));
                    }
                    if (svc.getValue("upstream_id") != null) {
                        doc.put("upstream_id", svc.getValue("upstream_id"));
                    }
                }
                if (!route.containsKey("hosts") && !route.containsKey("host") && svc.getValue("hosts") != null) {
                    doc.put("hosts", svc.getValue("hosts"));
                }
                // APISIX: the service's enable_websocket when the route does not say
                if (route.getValue("enable_websocket") == null && svc.getValue("enable_websocket") != null) {
                    doc.put("enable_websocket", svc.getValue("enable_websocket"));
                }
            }
        }
        Object upId = doc.getValue("upstream_id");
        if (upId != null && doc.getValue("upstream") == null) {
            deps.add(depKey(ResourceKind.UPSTREAMS, String.valueOf(upId)));
        }
        return doc;
    }

    /** The store key of a referenced resource: its plugins' owner. */
    private String ownerKey(ResourceKind kind, Object id) {
        return prefixSlash + kind.name() + "/" + id;
    }

    private JsonObject referencedDoc(JsonObject route, String field, ResourceKind kind, List<String> deps) {
        Object ref = route.getValue(field);
        if (ref == null) {
            return null;
        }
        String refId = String.valueOf(ref);
        deps.add(depKey(kind, refId));
        JsonObject doc = referenced.get(kind).get(refId);
        if (doc == null) {
            throw new IllegalArgumentException(field + " " + refId + " does not exist");
        }
        return doc;
    }

    /**
     * Builds the consumers, credentials and groups anew (there are far fewer of them than routes):
     * binds their plugins (unchanged configurations keep their bindings), indexes the auth keys, and
     * lets go of what the previous consumers held. A consumer, credential or group whose plugin
     * configuration cannot be used is left out, logged; a credential without its consumer too.
     */
    private Consumers buildConsumers() {
        List<String> keys = new ArrayList<>();
        Map<String, ConsumerGroup> groups = new HashMap<>();
        for (Entry g : groupEntries.values()) {
            List<PluginBinding<?>> bound = bindAll(g.doc.getJsonObject("plugins", new JsonObject()), keys,
                    g.kv.key(), null);
            if (bound != null) {
                groups.put(g.id, new ConsumerGroup(g.id, bound, g.kv.modRevision()));
            }
        }
        Consumers.Builder out = new Consumers.Builder();
        Map<String, dev.aigw.gateway.consumer.Consumer> byName = new HashMap<>();
        for (Entry c : consumerEntries.values()) {
            String username = c.doc.getValue("username") instanceof String u ? u : c.id;
            Map<String, AuthKey> authKeys = new LinkedHashMap<>();
            List<PluginBinding<?>> bound = bindAll(c.doc.getJsonObject("plugins", new JsonObject()), keys,
                    c.kv.key(), authKeys);
            if (bound == null) {
                continue;
            }
            Object gid = c.doc.getValue("group_id");
            String groupId = gid == null ? null : String.valueOf(gid);
            JsonObject labels = c.doc.getValue("labels") instanceof JsonObject l ? l : null;
            String customId = labels == null ? null : labels.getString("custom_id");
            var consumer = new dev.aigw.gateway.consumer.Consumer(username, null, groupId, groupId == null ? null : groups.get(groupId),
                    customId, bound, c.kv.modRevision());
            byName.put(username, consumer);
            out.consumer(consumer);
            authKeys.forEach((plugin, key) -> out.key(plugin, key.key(), consumer, key.conf()));
        }
        for (Entry cr : credentialEntries.values()) {
            ResourceKind.Located loc = ResourceKind.locate(prefixSlash, cr.kv.key());
            var parent = byName.get(loc.parent());
            if (parent == null) {
                report(cr.kv.key(), "a wild credential, consumer " + loc.parent() + " does not exist or cannot be loaded");
                continue;
            }
            Map<String, AuthKey> authKeys = new LinkedHashMap<>();
            List<PluginBinding<?>> bound = bindAll(cr.doc.getJsonObject("plugins", new JsonObject()), keys,
                    cr.kv.key(), authKeys);
            if (bound == null) {
                continue;
            }
            if (!bound.isEmpty()) {
                LOG.warn("{}: only auth plugins are used on a credential", cr.kv.key());
            }
            var via = new dev.aigw.gateway.consumer.Consumer(parent.username(), cr.id, parent.groupId(), parent.group(), parent.customId(),
                    parent.plugins(), cr.kv.modRevision());
            authKeys.forEach((plugin, key) -> out.key(plugin, key.key(), via, key.conf()));
        }
        List<PluginBinding<?>> unused = new ArrayList<>();
        unhold(consumerKeys, unused);
        release(unused);
        consumerKeys = List.copyOf(keys);
        return out.build();
    }

    /** An auth plugin's identifying key on a consumer or credential, with its parsed consumer configuration. */
    private record AuthKey(String key, Object conf) {
    }

    /**
     * Binds the plugins of a consumer, credential or group, sorted by priority; an auth plugin's
     * consumer configuration is checked, parsed, and put with its key in {@code authKeys} instead
     * (null: not allowed here). Null when one cannot be used: its references let go, the entry reported
     * under its store key {@code where} (the migration check lists it as it lists a route).
     */
    private List<PluginBinding<?>> bindAll(JsonObject plugins, List<String> keys, String where,
                                           Map<String, AuthKey> authKeys) {
        List<PluginBinding<?>> out = new ArrayList<>();
        List<String> mine = new ArrayList<>();
        for (String name : plugins.fieldNames()) {
            JsonObject conf = plugins.getValue(name) instanceof JsonObject o ? o : new JsonObject();
            if (authKeys != null && registry.isAuth(name)) {
                Object parsed;
                try {
                    parsed = registry.parseConsumer(name, conf);
                } catch (PluginConfigException e) {
                    report(where, e.getMessage());
                    letGo(mine);
                    return null;
                }
                String field = registry.get(name).consumerKeyField();
                if (field != null && conf.getValue(field) instanceof String key) {
                    authKeys.put(name, new AuthKey(key, parsed));
                }
                continue;
            }
            String key = bindingKey(name, conf);
            PluginBinding<?> b;
            try {
                b = hold(key, name, conf).ownedBy(where);
            } catch (PluginConfigException e) {
                report(where, e.getMessage());
                letGo(mine);
                return null;
            }
            mine.add(key);
            out.add(b);
        }
        keys.addAll(mine);
        problems.remove(where);
        out.sort(BY_PRIORITY);
        return List.copyOf(out);
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
            JsonObject up = referenced.get(ResourceKind.UPSTREAMS).get(key);
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
        referenced.values().forEach(Map::clear);
        upstreamById.clear();
        globalRules.clear();
        metadata.clear();
        consumerEntries.clear();
        credentialEntries.clear();
        groupEntries.clear();
        consumerKeys = List.of();
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
