package dev.aigw.gateway.route;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.store.KeyValue;
import dev.aigw.gateway.store.StoreSnapshot;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reuse of unchanged routes across builds, and rebuilds of the routes a change concerns. */
class RouteTableBuilderTest {

    /** A plugin whose configuration is its JSON; counts releases. */
    static final class Tag implements Plugin<JsonObject> {
        final List<JsonObject> released = new ArrayList<>();

        @Override
        public String name() {
            return "tag";
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public String schema() {
            return "{\"type\":\"object\"}";
        }

        @Override
        public JsonObject parseConfig(JsonObject conf) {
            return conf.copy();
        }

        @Override
        public void release(JsonObject conf) {
            released.add(conf);
        }
    }

    /** An auth plugin: its consumer configuration is {@code {"key": …}}. */
    static final class Auth implements Plugin<JsonObject> {
        @Override
        public String name() {
            return "auth";
        }

        @Override
        public int priority() {
            return 2500;
        }

        @Override
        public String schema() {
            return "{\"type\":\"object\"}";
        }

        @Override
        public String consumerSchema() {
            return "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"}},\"required\":[\"key\"]}";
        }

        @Override
        public String consumerKeyField() {
            return "key";
        }

        @Override
        public JsonObject parseConfig(JsonObject conf) {
            return conf;
        }
    }

    private final Tag tag = new Tag();
    private final List<JsonObject> upstreamCalls = new ArrayList<>();
    private final Function<JsonObject, UpstreamHandler> upstreams = json -> {
        upstreamCalls.add(json);
        return (UpstreamHandler) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{UpstreamHandler.class}, (p, m, a) -> m.getName().equals("toString") ? json.encode() : null);
    };
    private final RouteTableBuilder builder = new RouteTableBuilder("/apisix",
            PluginRegistry.of(List.of(tag), null), upstreams, (kind, doc) -> null, used -> { });

    private final TreeMap<String, KeyValue> store = new TreeMap<>();
    private long rev;

    private void put(String key, String json) {
        rev++;
        KeyValue old = store.get(key);
        store.put(key, new KeyValue(key, json, old == null ? rev : old.createRevision(), rev));
    }

    private Map<String, Route> build() {
        RuntimeConfig cfg = builder.build(new StoreSnapshot(rev, Map.copyOf(store)));
        return routesOf(cfg);
    }

    /** The routes the last build made, by id; checks the table holds exactly them. */
    private Map<String, Route> routesOf(RuntimeConfig cfg) {
        Map<String, Route> out = new TreeMap<>();
        for (String key : store.keySet()) {
            if (key.startsWith("/apisix/routes/")) {
                Route r = lastRoute(key.substring("/apisix/routes/".length()));
                if (r != null) {
                    out.put(r.id(), r);
                }
            }
        }
        assertEquals(out.size(), cfg.table().size());
        return out;
    }

    private Route lastRoute(String id) {
        return builder.builtRoute(id);
    }

    @Test
    void unchangedRoutesAreReusedAndChangedOnesRebuilt() {
        put("/apisix/upstreams/u1", "{\"nodes\":{\"127.0.0.1:1\":1},\"type\":\"roundrobin\"}");
        put("/apisix/routes/a", "{\"uri\":\"/a\",\"upstream_id\":\"u1\",\"plugins\":{\"tag\":{\"v\":1}}}");
        put("/apisix/routes/b", "{\"uri\":\"/b\",\"upstream\":{\"nodes\":{\"127.0.0.1:2\":1},\"type\":\"roundrobin\"}}");
        put("/apisix/routes/c", "{\"uri\":\"/c\",\"upstream_id\":\"u1\"}");
        Map<String, Route> first = build();
        assertEquals(3, first.size());
        assertEquals(2, upstreamCalls.size(), "one handler per distinct upstream document");

        // a change to route b only: a and c are the very same objects
        put("/apisix/routes/b", "{\"uri\":\"/b2\",\"upstream\":{\"nodes\":{\"127.0.0.1:2\":1},\"type\":\"roundrobin\"}}");
        Map<String, Route> second = build();
        assertSame(first.get("a"), second.get("a"));
        assertSame(first.get("c"), second.get("c"));
        assertNotSame(first.get("b"), second.get("b"));
        assertEquals("/b2", second.get("b").definition().getString("uri"));
        assertTrue(tag.released.isEmpty(), "route a's binding is still in use");

        // the upstream changes: the routes using it are rebuilt with the new upstream, b is not
        put("/apisix/upstreams/u1", "{\"nodes\":{\"127.0.0.1:3\":1},\"type\":\"roundrobin\"}");
        int calls = upstreamCalls.size();
        Map<String, Route> third = build();
        assertNotSame(second.get("a"), third.get("a"));
        assertNotSame(second.get("c"), third.get("c"));
        assertSame(second.get("b"), third.get("b"));
        assertTrue(third.get("a").upstream().toString().contains("127.0.0.1:3"));
        assertEquals(calls + 1, upstreamCalls.size(), "the new upstream document is resolved once");

        // a global rule: every route is rebuilt and carries it
        put("/apisix/global_rules/g", "{\"id\":\"g\",\"plugins\":{\"tag\":{\"global\":true}}}");
        Map<String, Route> fourth = build();
        for (String id : List.of("a", "b", "c")) {
            assertNotSame(third.get(id), fourth.get(id), id);
            assertEquals(1, fourth.get(id).plugins().size(), id);
        }
        // route a's own tag config overrides the global one of the same name
        assertEquals(1, ((JsonObject) fourth.get("a").plugins().get(0).config()).getInteger("v"));
        assertEquals(true, ((JsonObject) fourth.get("c").plugins().get(0).config()).getBoolean("global"));

        // the global rule changes again: every route picks up the new config, the old one is released
        put("/apisix/global_rules/g", "{\"id\":\"g\",\"plugins\":{\"tag\":{\"global\":false}}}");
        Map<String, Route> fifth = build();
        assertEquals(false, ((JsonObject) fifth.get("c").plugins().get(0).config()).getBoolean("global"));
        assertEquals("/apisix/global_rules/g", fifth.get("c").plugins().get(0).owner(), "the global rule's own key");
        assertEquals(1, tag.released.size());
        assertEquals(true, tag.released.get(0).getBoolean("global"));

        // nothing changes: everything is reused
        Map<String, Route> sixth = build();
        for (String id : List.of("a", "b", "c")) {
            assertSame(fifth.get(id), sixth.get(id), id);
        }
    }

    @Test
    void serviceAndPluginConfigMergeUnderTheRoute() {
        put("/apisix/services/s1", "{\"upstream\":{\"nodes\":{\"127.0.0.1:7\":1}},\"hosts\":[\"svc.test\"],"
                + "\"plugins\":{\"tag\":{\"from\":\"service\"}}}");
        put("/apisix/plugin_configs/p1", "{\"id\":\"p1\",\"plugins\":{\"tag\":{\"from\":\"plugin_config\"}}}");
        put("/apisix/routes/a", "{\"uri\":\"/a\",\"service_id\":\"s1\"}");
        put("/apisix/routes/b", "{\"uri\":\"/b\",\"service_id\":\"s1\",\"plugin_config_id\":\"p1\"}");
        put("/apisix/routes/c", "{\"uri\":\"/c\",\"service_id\":\"s1\",\"plugin_config_id\":\"p1\","
                + "\"plugins\":{\"tag\":{\"from\":\"route\"}}}");
        Map<String, Route> routes = build();
        assertEquals("service", ((JsonObject) routes.get("a").plugins().get(0).config()).getString("from"));
        assertEquals("plugin_config", ((JsonObject) routes.get("b").plugins().get(0).config()).getString("from"));
        assertEquals("route", ((JsonObject) routes.get("c").plugins().get(0).config()).getString("from"));
        // each configuration belongs to the resource it was written in (its counters' key, as APISIX)
        assertEquals("/apisix/services/s1", routes.get("a").plugins().get(0).owner());
        assertEquals("/apisix/plugin_configs/p1", routes.get("b").plugins().get(0).owner());
        assertEquals("/apisix/routes/c", routes.get("c").plugins().get(0).owner());
        assertTrue(routes.get("a").upstream().toString().contains("127.0.0.1:7"), "the service's upstream");
        assertEquals("svc.test", routes.get("a").definition().getJsonArray("hosts").getString(0));

        // the plugin config changes: b and c are rebuilt, a is not
        put("/apisix/plugin_configs/p1", "{\"id\":\"p1\",\"plugins\":{\"tag\":{\"from\":\"pc2\"}}}");
        Map<String, Route> next = build();
        assertSame(routes.get("a"), next.get("a"));
        assertEquals("pc2", ((JsonObject) next.get("b").plugins().get(0).config()).getString("from"));

        // the service goes: its routes wait for it
        delete("/apisix/services/s1");
        assertEquals(Set.of(), build().keySet());
    }

    @Test
    void consumersCredentialsAndGroupsAreIndexedAndTheirBindingsShared() {
        RouteTableBuilder b = new RouteTableBuilder("/apisix", PluginRegistry.of(List.of(tag, new Auth()), null),
                upstreams, (kind, doc) -> null, used -> { });
        put("/apisix/consumer_groups/g", "{\"id\":\"g\",\"plugins\":{\"tag\":{\"from\":\"group\"}}}");
        put("/apisix/consumers/jack", "{\"username\":\"jack\",\"group_id\":\"g\","
                + "\"plugins\":{\"auth\":{\"key\":\"k-jack\"},\"tag\":{\"from\":\"jack\"}}}");
        put("/apisix/consumers/jack/credentials/c1", "{\"id\":\"c1\",\"plugins\":{\"auth\":{\"key\":\"k-c1\"}}}");
        put("/apisix/consumers/ghost/credentials/c1", "{\"plugins\":{\"auth\":{\"key\":\"k-ghost\"}}}");
        put("/apisix/consumers/bad", "{\"username\":\"bad\",\"plugins\":{\"auth\":{}}}");
        put("/apisix/routes/r", "{\"uri\":\"/r\",\"plugins\":{\"tag\":{\"from\":\"jack\"}}}");
        RuntimeConfig cfg = b.build(new StoreSnapshot(rev, Map.copyOf(store)));

        var jack = cfg.consumers().authenticate("auth", "k-jack");
        assertEquals("jack", jack.username());
        assertEquals("g", jack.group().id());
        var viaC1 = cfg.consumers().authenticate("auth", "k-c1");
        assertEquals("jack", viaC1.username());
        assertEquals("c1", viaC1.credentialId());
        assertEquals(null, cfg.consumers().authenticate("auth", "k-ghost"), "a credential without its consumer");
        assertEquals(null, cfg.consumers().authenticate("auth", "k-jac"));
        assertEquals(null, cfg.consumers().byName("bad"), "a consumer whose auth conf is invalid is left out");
        assertSame(b.builtRoute("r").plugins().get(0).config(), jack.plugins().get(0).config(),
                "one parsed configuration for one JSON");
        assertEquals("/apisix/routes/r", b.builtRoute("r").plugins().get(0).owner());
        assertEquals("/apisix/consumers/jack", jack.plugins().get(0).owner(), "each use knows its resource");
        assertEquals("/apisix/consumer_groups/g", jack.group().plugins().get(0).owner());

        // the merge: consumer over group over route, one object per (route, consumer)
        var merged = cfg.consumers().merge(b.builtRoute("r"), b.builtRoute("r").plugins(), jack);
        assertEquals("jack", ((JsonObject) merged.plugins().get(0).config()).getString("from"));
        assertSame(merged, cfg.consumers().merge(b.builtRoute("r"), b.builtRoute("r").plugins(), jack));
        assertTrue(merged.added().isEmpty(), "the route has tag already");

        // a group change rebuilds the consumers; the old group binding is released
        put("/apisix/consumer_groups/g", "{\"id\":\"g\",\"plugins\":{\"tag\":{\"from\":\"group2\"}}}");
        RuntimeConfig next = b.build(new StoreSnapshot(rev, Map.copyOf(store)));
        assertEquals("group2", ((JsonObject) next.consumers().byName("jack").group().plugins().get(0).config())
                .getString("from"));
        assertTrue(tag.released.contains(new JsonObject().put("from", "group")));
        delete("/apisix/consumers/jack");
        RuntimeConfig gone = b.build(new StoreSnapshot(rev, Map.copyOf(store)));
        assertEquals(null, gone.consumers().authenticate("auth", "k-c1"), "its credentials go with it");
        b.releaseAll();
    }

    @Test
    void sameTextStoredAgainGetsTheNewRevision() {
        put("/apisix/routes/a", "{\"uri\":\"/a\"}");
        Route first = build().get("a");
        put("/apisix/routes/a", "{\"uri\":\"/a\"}");
        Route second = build().get("a");
        assertEquals(rev, second.revision());
        assertTrue(second.revision() > first.revision());
    }

    @Test
    void aRouteWithUnusableMatchFieldsStaysOutUntilFixed() {
        put("/apisix/routes/bad", "{\"uri\":\"/x\",\"methods\":[\"FETCH\"]}");
        put("/apisix/routes/ok", "{\"uri\":\"/ok\"}");
        assertEquals(1, builder.build(new StoreSnapshot(rev, Map.copyOf(store))).table().size());
        put("/apisix/routes/ok2", "{\"uri\":\"/ok2\"}");
        assertEquals(2, builder.build(new StoreSnapshot(rev, Map.copyOf(store))).table().size());
        put("/apisix/routes/bad", "{\"uri\":\"/x\",\"methods\":[\"GET\"]}");
        assertEquals(3, builder.build(new StoreSnapshot(rev, Map.copyOf(store))).table().size());
    }

    private void delete(String key) {
        rev++;
        store.remove(key);
    }

    @Test
    void deletionsAndMissingUpstreamsAreFollowed() {
        put("/apisix/routes/a", "{\"uri\":\"/a\",\"upstream_id\":\"u1\"}");
        put("/apisix/routes/b", "{\"uri\":\"/b\"}");
        Map<String, Route> first = build();
        assertEquals(Set.of("b"), first.keySet(), "a waits for its upstream");

        put("/apisix/upstreams/u1", "{\"nodes\":{\"127.0.0.1:1\":1},\"type\":\"roundrobin\"}");
        Map<String, Route> second = build();
        assertEquals(Set.of("a", "b"), second.keySet(), "the upstream arrived: a is built");
        assertSame(first.get("b"), second.get("b"));

        delete("/apisix/upstreams/u1");
        assertEquals(Set.of("b"), build().keySet(), "a is out again with its upstream gone");

        delete("/apisix/routes/b");
        assertEquals(Set.of(), build().keySet());
        assertEquals(0, builder.build(new StoreSnapshot(rev, Map.copyOf(store))).table().size());
    }

    @Test
    void sharedBindingsAreReleasedWhenTheLastRouteLetsGo() {
        List<Collection<UpstreamHandler>> retained = new ArrayList<>();
        // as the real Upstreams: one shared handler per upstream configuration
        Map<String, UpstreamHandler> shared = new HashMap<>();
        Function<JsonObject, UpstreamHandler> pooled = json -> shared.computeIfAbsent(json.encode(), k -> upstreams.apply(json));
        RouteTableBuilder b = new RouteTableBuilder("/apisix", PluginRegistry.of(List.of(tag), null), pooled,
                (kind, doc) -> null, used -> retained.add(List.copyOf(used)));
        put("/apisix/routes/a", "{\"uri\":\"/a\",\"plugins\":{\"tag\":{\"v\":1}},\"upstream\":{\"nodes\":{\"127.0.0.1:1\":1}}}");
        put("/apisix/routes/b", "{\"uri\":\"/b\",\"plugins\":{\"tag\":{\"v\":1}},\"upstream\":{\"nodes\":{\"127.0.0.1:2\":1}}}");
        b.build(new StoreSnapshot(rev, Map.copyOf(store)));
        assertSame(b.builtRoute("a").plugins().get(0).config(), b.builtRoute("b").plugins().get(0).config(),
                "one parsed configuration for one JSON");

        delete("/apisix/routes/a");
        b.build(new StoreSnapshot(rev, Map.copyOf(store)));
        assertTrue(tag.released.isEmpty(), "b still uses the binding");
        assertEquals(1, retained.size(), "a's upstream is no longer used");
        assertEquals(List.of(b.builtRoute("b").upstream()), List.copyOf(retained.get(0)));

        put("/apisix/routes/b", "{\"uri\":\"/b\",\"plugins\":{\"tag\":{\"v\":2}},\"upstream\":{\"nodes\":{\"127.0.0.1:2\":1}}}");
        b.build(new StoreSnapshot(rev, Map.copyOf(store)));
        assertEquals(List.of(new JsonObject().put("v", 1)), tag.released, "the old config is released once");
        assertEquals(1, retained.size(), "b's upstream did not change");

        b.releaseAll();
        assertEquals(2, tag.released.size());
    }

    /**
     * Random puts and deletes of routes, upstreams, services, plugin configs and global rules, applied one small update at a
     * time: after every step the incremental builder's table holds the same routes, with the same
     * plugins, upstream and revision, as a builder that builds the whole store from scratch.
     */
    @Test
    void incrementalUpdatesEqualAFullBuild() {
        Random rnd = new Random(42);
        for (int step = 0; step < 500; step++) {
            int what = rnd.nextInt(12);
            if (what < 6) {
                String id = "r" + rnd.nextInt(40);
                if (rnd.nextInt(5) == 0) {
                    delete("/apisix/routes/" + id);
                } else {
                    String up = rnd.nextBoolean()
                            ? "\"upstream_id\":\"u" + rnd.nextInt(4) + "\""
                            : "\"upstream\":{\"nodes\":{\"127.0.0.1:" + (1 + rnd.nextInt(3)) + "\":1}}";
                    String plugins = rnd.nextBoolean() ? ",\"plugins\":{\"tag\":{\"v\":" + rnd.nextInt(3) + "}}" : "";
                    String uri = rnd.nextBoolean() ? "/p" + rnd.nextInt(10) : "/p" + rnd.nextInt(10) + "/*";
                    String status = rnd.nextInt(8) == 0 ? ",\"status\":0" : "";
                    // some routes take their upstream and plugins from a service or a plugin config
                    if (rnd.nextInt(3) == 0) {
                        up = "\"service_id\":\"s" + rnd.nextInt(3) + "\"";
                    }
                    String pc = rnd.nextInt(3) == 0 ? ",\"plugin_config_id\":\"pc" + rnd.nextInt(2) + "\"" : "";
                    put("/apisix/routes/" + id, "{\"uri\":\"" + uri + "\"," + up + plugins + pc + status + "}");
                }
            } else if (what < 9) {
                String id = "u" + rnd.nextInt(4);
                if (rnd.nextInt(4) == 0) {
                    delete("/apisix/upstreams/" + id);
                } else {
                    put("/apisix/upstreams/" + id, "{\"nodes\":{\"127.0.0.1:" + (10 + rnd.nextInt(3)) + "\":1}}");
                }
            } else if (what == 9) {
                String id = "s" + rnd.nextInt(3);
                if (rnd.nextInt(4) == 0) {
                    delete("/apisix/services/" + id);
                } else {
                    String up = rnd.nextBoolean() ? "\"upstream_id\":\"u" + rnd.nextInt(4) + "\""
                            : "\"upstream\":{\"nodes\":{\"127.0.0.1:" + (20 + rnd.nextInt(3)) + "\":1}}";
                    String hosts = rnd.nextBoolean() ? ",\"hosts\":[\"h" + rnd.nextInt(2) + ".test\"]" : "";
                    put("/apisix/services/" + id, "{" + up + hosts + ",\"plugins\":{\"tag\":{\"s\":" + rnd.nextInt(2) + "}}}");
                }
            } else if (what == 10) {
                String id = "pc" + rnd.nextInt(2);
                if (rnd.nextInt(4) == 0) {
                    delete("/apisix/plugin_configs/" + id);
                } else {
                    put("/apisix/plugin_configs/" + id, "{\"id\":\"" + id + "\",\"plugins\":{\"tag\":{\"pc\":" + rnd.nextInt(2) + "}}}");
                }
            } else if (rnd.nextBoolean()) {
                put("/apisix/global_rules/g" + rnd.nextInt(2), "{\"plugins\":{\"tag\":{\"g\":" + rnd.nextInt(2) + "}}}");
            } else {
                delete("/apisix/global_rules/g" + rnd.nextInt(2));
            }
            RuntimeConfig inc = builder.build(new StoreSnapshot(rev, Map.copyOf(store)));
            RouteTableBuilder fresh = new RouteTableBuilder("/apisix", PluginRegistry.of(List.of(new Tag()), null),
                    upstreams, (kind, doc) -> null, used -> { });
            RuntimeConfig full = fresh.build(new StoreSnapshot(rev, Map.copyOf(store)));
            assertEquals(full.table().size(), inc.table().size(), "step " + step);
            for (int i = 0; i < 40; i++) {
                Route a = builder.builtRoute("r" + i);
                Route b = fresh.builtRoute("r" + i);
                assertEquals(describe(b), describe(a), "step " + step + " route r" + i);
            }
            fresh.releaseAll();
        }
    }

    private static String describe(Route r) {
        if (r == null) {
            return "none";
        }
        StringBuilder sb = new StringBuilder(r.definition().encode()).append(" rev ").append(r.revision());
        for (var p : r.plugins()) {
            sb.append(' ').append(p.name()).append(p.config());
        }
        return sb.append(" up ").append(r.upstream()).toString();
    }

    @Test
    void entriesThatCannotBeLoadedStayReportedAndAreLoggedOncePerChange() {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RouteTableBuilder.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try {
            put("/apisix/routes/ok", "{\"uri\":\"/ok\",\"upstream\":{\"nodes\":{\"127.0.0.1:1\":1}}}");
            put("/apisix/routes/ghost", "{\"uri\":\"/g\",\"upstream_id\":\"nope\"}");
            put("/apisix/routes/alien", "{\"uri\":\"/a\",\"plugins\":{\"alien\":{}}}");
            put("/apisix/routes/junk", "{oops");
            put("/apisix/stream_routes/1", "{\"server_port\":9100}");
            build();
            assertEquals(Map.of(
                    "/apisix/routes/ghost", "upstream_id nope does not exist",
                    "/apisix/routes/alien", "unknown plugin [alien]",
                    "/apisix/routes/junk", "not a JSON object",
                    "/apisix/stream_routes/1", "resource kind 'stream_routes' is not supported by aigw"),
                    builder.problems());
            assertEquals(4, seen.list.size(), "one error line per unloadable entry");

            // an unrelated upstream change retries the waiting route: same reason, not logged again
            put("/apisix/upstreams/other", "{\"nodes\":{\"127.0.0.1:2\":1}}");
            build();
            assertEquals(4, builder.problems().size());
            assertEquals(4, seen.list.size(), "a retry with the same reason is not logged again");

            // the missing upstream appears: the route loads and is no longer reported
            put("/apisix/upstreams/nope", "{\"nodes\":{\"127.0.0.1:3\":1}}");
            delete("/apisix/routes/junk");
            build();
            assertEquals(Set.of("/apisix/routes/alien", "/apisix/stream_routes/1"), builder.problems().keySet());
            assertTrue(builder.builtRoute("ghost") != null);
        } finally {
            log.detachAppender(seen);
        }
    }
}
