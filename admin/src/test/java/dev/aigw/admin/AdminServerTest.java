package dev.aigw.admin;

import dev.aigw.gateway.conf.AdminKey;
import dev.aigw.gateway.net.Cidr;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.store.KeyValue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Admin API over an in-memory store, driven over HTTP like a user would. */
class AdminServerTest {

    private static final String KEY = "edd1c9f034335f136f87ad84b625c8f1";
    private static final String VIEWER_KEY = "4054f7cf07e344346cd3f287985e76a2";
    private static final String UP = "\"upstream\":{\"nodes\":{\"127.0.0.1:8080\":1},\"type\":\"roundrobin\"}";

    private static Vertx vertx;
    private static InMemoryStore store;
    private static AdminServer admin;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        store = new InMemoryStore("/apisix");
        PluginRegistry registry = PluginRegistry.of(List.of(new TestPlugins.EchoPlugin(), new TestPlugins.LimitPlugin()), null);
        AdminChecks checks = new AdminChecks() {
            @Override
            public String checkVars(JsonArray vars) {
                for (Object e : vars) {
                    if (e instanceof JsonArray expr && expr.size() == 3 && "=".equals(expr.getValue(1))) {
                        return "invalid operator '='";
                    }
                }
                return null;
            }
        };
        admin = await(AdminServer.start(vertx, new AdminOptions("127.0.0.1", 0,
                List.of(new AdminKey("admin", KEY, "admin"), new AdminKey("viewer", VIEWER_KEY, "viewer")), null),
                store, registry, checks));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (admin != null) {
            await(admin.close());
        }
        if (vertx != null) {
            await(vertx.close());
        }
    }

    @BeforeEach
    void clean() {
        store.clear();
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    record Resp(int status, String body) {
        JsonObject json() {
            return new JsonObject(body);
        }

        String error() {
            return json().getString("error_msg");
        }
    }

    static Resp call(AdminServer server, String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("X-API-KEY", key);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body());
    }

    static Resp call(String method, String path, String body) throws Exception {
        return call(admin, method, path, body, KEY);
    }

    /** Runs a request that must be refused with 400 and the message, and checks nothing was written. */
    static void refused(String method, String path, String body, String message) throws Exception {
        refused(method, path, body, 400, message);
    }

    static void refused(String method, String path, String body, int status, String message) throws Exception {
        Map<String, KeyValue> before = store.dump();
        long rev = store.revision();
        Resp r = call(method, path, body);
        assertEquals(status, r.status(), r.body());
        assertEquals(message, r.error(), r.body());
        assertEquals(before, store.dump(), "nothing may be stored on error");
        assertEquals(rev, store.revision(), "no write on error");
    }

    private static JsonObject stored(String key) throws Exception {
        KeyValue kv = await(store.get(key));
        return kv == null ? null : new JsonObject(kv.value());
    }

    // ---- routes ----

    @Test
    void putCreatesThenUpdatesARoute() throws Exception {
        long before = System.currentTimeMillis() / 1000;
        Resp created = call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/index.html\",\"methods\":[\"GET\"]," + UP + "}");
        assertEquals(201, created.status(), created.body());
        JsonObject body = created.json();
        assertEquals("/apisix/routes/1", body.getString("key"));
        JsonObject value = body.getJsonObject("value");
        assertEquals("1", value.getValue("id"));
        assertEquals("/index.html", value.getString("uri"));
        assertTrue(value.getLong("create_time") >= before);
        assertTrue(value.getLong("update_time") >= before);
        assertEquals(value, stored("/apisix/routes/1"));

        // an older create_time is kept on update
        JsonObject old = stored("/apisix/routes/1").put("create_time", 1000);
        await(store.put("/apisix/routes/1", old.encode()));
        Resp updated = call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/v2\"," + UP + "}");
        assertEquals(200, updated.status(), updated.body());
        assertEquals(1000, updated.json().getJsonObject("value").getLong("create_time"));
        assertEquals("/v2", stored("/apisix/routes/1").getString("uri"));
        assertFalse(stored("/apisix/routes/1").containsKey("methods"), "PUT replaces the whole route");
    }

    @Test
    void getReturnsTheEnvelopeAndListsAll() throws Exception {
        call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}");
        call("PUT", "/apisix/admin/routes/2", "{\"uri\":\"/b\"," + UP + "}");
        KeyValue kv = await(store.get("/apisix/routes/1"));

        Resp one = call("GET", "/apisix/admin/routes/1", null);
        assertEquals(200, one.status());
        JsonObject o = one.json();
        assertEquals("/apisix/routes/1", o.getString("key"));
        assertEquals("/a", o.getJsonObject("value").getString("uri"));
        assertEquals(kv.createRevision(), o.getLong("createdIndex"));
        assertEquals(kv.modRevision(), o.getLong("modifiedIndex"));

        Resp list = call("GET", "/apisix/admin/routes", null);
        assertEquals(200, list.status());
        JsonObject l = list.json();
        assertEquals(2, l.getInteger("total"));
        assertEquals("/apisix/routes/1", l.getJsonArray("list").getJsonObject(0).getString("key"));
        assertEquals("/b", l.getJsonArray("list").getJsonObject(1).getJsonObject("value").getString("uri"));
        assertNotNull(l.getJsonArray("list").getJsonObject(1).getLong("createdIndex"));

        Resp missing = call("GET", "/apisix/admin/routes/nope", null);
        assertEquals(404, missing.status());
        assertEquals(new JsonObject().put("message", "Key not found"), missing.json());

        store.clear();
        assertEquals(new JsonObject().put("total", 0).put("list", new JsonArray()),
                call("GET", "/apisix/admin/routes", null).json());
    }

    @Test
    void postGeneratesAnApisixStyleId() throws Exception {
        Resp r = call("POST", "/apisix/admin/routes", "{\"uri\":\"/p\"," + UP + "}");
        assertEquals(201, r.status(), r.body());
        String id = r.json().getJsonObject("value").getString("id");
        assertTrue(id.matches("\\d{20}"), id);
        assertEquals("/apisix/routes/" + id, r.json().getString("key"));
        assertEquals("/p", stored("/apisix/routes/" + id).getString("uri"));
        Resp r2 = call("POST", "/apisix/admin/routes", "{\"uri\":\"/q\"," + UP + "}");
        assertFalse(id.equals(r2.json().getJsonObject("value").getString("id")), "ids are unique");
    }

    @Test
    void patchMergesAndSubPathReplaces() throws Exception {
        call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"desc\":\"d\",\"methods\":[\"GET\"]," + UP + "}");
        Resp r = call("PATCH", "/apisix/admin/routes/1",
                "{\"desc\":null,\"name\":\"n\",\"upstream\":{\"nodes\":{\"127.0.0.1:8081\":2}}}");
        assertEquals(200, r.status(), r.body());
        JsonObject v = stored("/apisix/routes/1");
        assertFalse(v.containsKey("desc"), "null removes a field");
        assertEquals("n", v.getString("name"));
        assertEquals(new JsonObject().put("127.0.0.1:8080", 1).put("127.0.0.1:8081", 2),
                v.getJsonObject("upstream").getJsonObject("nodes"), "objects merge as in APISIX");
        assertEquals(v, r.json().getJsonObject("value"));

        Resp sub = call("PATCH", "/apisix/admin/routes/1/methods", "[\"POST\",\"PUT\"]");
        assertEquals(200, sub.status(), sub.body());
        assertEquals(new JsonArray().add("POST").add("PUT"), stored("/apisix/routes/1").getJsonArray("methods"));
        Resp nodes = call("PATCH", "/apisix/admin/routes/1/upstream/nodes", "{\"127.0.0.2:80\":1}");
        assertEquals(200, nodes.status(), nodes.body());
        assertEquals(new JsonObject().put("127.0.0.2:80", 1),
                stored("/apisix/routes/1").getJsonObject("upstream").getJsonObject("nodes"));

        Resp missing = call("PATCH", "/apisix/admin/routes/9", "{\"desc\":\"x\"}");
        assertEquals(404, missing.status());
        assertEquals("Key not found", missing.json().getString("message"));
        refused("PATCH", "/apisix/admin/routes/1", "{\"uri\":5}",
                "invalid configuration: property \"uri\" validation failed: wrong type: expected string, got number");
        refused("PATCH", "/apisix/admin/routes/1", null, "missing new configuration");
        refused("PATCH", "/apisix/admin/routes/1", "[1]", "invalid configuration");
        refused("PATCH", "/apisix/admin/routes/1/uri/x", "\"/a\"", "invalid sub-path: /uri");
    }

    @Test
    void deleteAnswersAsApisix() throws Exception {
        call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}");
        Resp r = call("DELETE", "/apisix/admin/routes/1", null);
        assertEquals(200, r.status());
        assertEquals(new JsonObject().put("deleted", "1").put("key", "/apisix/routes/1"), r.json());
        assertNull(await(store.get("/apisix/routes/1")));
        Resp again = call("DELETE", "/apisix/admin/routes/1", null);
        assertEquals(404, again.status());
        assertEquals("Key not found", again.json().getString("message"));
        refused("DELETE", "/apisix/admin/routes", null, "missing route id");
    }

    @Test
    void badInputIsRefusedAndNothingStored() throws Exception {
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\": }",
                "invalid request body: Expected value but found T_OBJ_END at character 9");
        refused("PUT", "/apisix/admin/routes/1", null, "missing configurations");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":3," + UP + "}",
                "invalid configuration: property \"uri\" validation failed: wrong type: expected string, got number");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"plugins\":{\"nope\":{}}}", "unknown plugin [nope]");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"plugins\":{\"test-limit\":{}}}",
                "failed to check the configuration of plugin test-limit err: property \"limit\" is required");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"plugins\":{\"test-limit\":{\"limit\":13}}}",
                "failed to check the configuration of plugin test-limit err: limit 13 is unlucky");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"upstream_id\":99}",
                "failed to fetch upstream info by upstream id [99], response code: 404");
        refused("PUT", "/apisix/admin/routes/1", "{\"id\":2,\"uri\":\"/a\"," + UP + "}", "wrong route id");
        refused("POST", "/apisix/admin/routes", "{\"id\":2,\"uri\":\"/a\"," + UP + "}", "wrong route id, do not need it");
        refused("PUT", "/apisix/admin/routes", "{\"uri\":\"/a\"," + UP + "}", "missing route id");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"vars\":[[\"arg_k\",\"=\",\"v\"]]," + UP + "}",
                "failed to validate the 'vars' expression: invalid operator '='");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"create_time\":1," + UP + "}",
                "the property is forbidden:  create_time");
        refused("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"host\":\"a\",\"hosts\":[\"b\"]," + UP + "}",
                "only one of host or hosts is allowed");
        refused("PUT", "/apisix/admin/routes/1", "[]",
                "invalid configuration: wrong type: expected object, got table");

        Map<String, KeyValue> before = store.dump();
        String big = "{\"uri\":\"/a\",\"desc\":\"" + "x".repeat(1024 * 1024) + "\"," + UP + "}";
        Resp r = call("PUT", "/apisix/admin/routes/1", big);
        assertEquals(400, r.status());
        assertEquals("invalid request body: request size " + big.length() + " is greater than the maximum size "
                + AdminOptions.DEFAULT_MAX_BODY_BYTES + " allowed", r.error());
        assertEquals(before, store.dump());

        Resp bad = call("PUT", "/apisix/admin/routes/1", "{\"uri\" \"/a\"}");
        assertEquals("{\"uri\" \"/a\"}", bad.json().getString("req_body"), "APISIX echoes the bad body");
    }

    @Test
    void validPluginsAndVarsAreAccepted() throws Exception {
        Resp r = call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\",\"vars\":[[\"arg_k\",\"==\",\"v\"]],"
                + "\"plugins\":{\"test-limit\":{\"limit\":2},\"test-echo\":{\"x\":1}}}");
        assertEquals(201, r.status(), r.body());
        assertEquals(2, stored("/apisix/routes/1").getJsonObject("plugins").getJsonObject("test-limit").getInteger("limit"));
    }

    // ---- upstreams ----

    @Test
    void upstreamInUseCannotBeDeleted() throws Exception {
        assertEquals(201, call("PUT", "/apisix/admin/upstreams/1", "{\"nodes\":{\"127.0.0.1:80\":1}}").status());
        Resp route = call("PUT", "/apisix/admin/routes/r1", "{\"uri\":\"/a\",\"upstream_id\":\"1\"}");
        assertEquals(201, route.status(), route.body());
        refused("DELETE", "/apisix/admin/upstreams/1", null, "can not delete this upstream, route [r1] is still using it now");
        assertEquals(200, call("DELETE", "/apisix/admin/routes/r1", null).status());
        assertEquals(200, call("DELETE", "/apisix/admin/upstreams/1", null).status());
        assertNull(await(store.get("/apisix/upstreams/1")));
    }

    @Test
    void servicesAndPluginConfigsAreReferencedAsInApisix() throws Exception {
        refused("PUT", "/apisix/admin/routes/r1", "{\"uri\":\"/a\",\"service_id\":\"s1\"}",
                "failed to fetch service info by service id [s1], response code: 404");
        refused("PUT", "/apisix/admin/services/s1", "{\"upstream_id\":\"u9\"}",
                "failed to fetch upstream info by upstream id [u9], response code: 404");
        refused("PUT", "/apisix/admin/services/s1", "{\"plugins\":{\"nope\":{}}}", "unknown plugin [nope]");
        assertEquals(201, call("PUT", "/apisix/admin/upstreams/u1", "{\"nodes\":{\"127.0.0.1:80\":1}}").status());
        assertEquals(201, call("PUT", "/apisix/admin/services/s1", "{\"upstream_id\":\"u1\"}").status());
        refused("DELETE", "/apisix/admin/upstreams/u1", null, "can not delete this upstream, service [s1] is still using it now");
        refused("POST", "/apisix/admin/plugin_configs", "{\"id\":\"p1\",\"plugins\":{}}", 405,
                "not supported `POST` method for plugin config");
        assertEquals(201, call("PUT", "/apisix/admin/plugin_configs/p1", "{\"plugins\":{}}").status());
        Resp route = call("PUT", "/apisix/admin/routes/r1", "{\"uri\":\"/a\",\"service_id\":\"s1\",\"plugin_config_id\":\"p1\"}");
        assertEquals(201, route.status(), route.body());
        refused("DELETE", "/apisix/admin/services/s1", null, "can not delete this service directly, route [r1] is still using it now");
        refused("DELETE", "/apisix/admin/plugin_configs/p1", null, "can not delete this plugin config, route [r1] is still using it now");
        assertEquals(200, call("DELETE", "/apisix/admin/routes/r1", null).status());
        assertEquals(200, call("DELETE", "/apisix/admin/services/s1", null).status());
        assertEquals(200, call("DELETE", "/apisix/admin/plugin_configs/p1", null).status());
    }

    @Test
    void upstreamChecks() throws Exception {
        refused("PUT", "/apisix/admin/upstreams/1", "{\"nodes\":{\"127.0.0.1:80\":1},\"retries\":-1}",
                "invalid configuration: property \"retries\" validation failed: expected -1 to be at least 0");
        refused("PUT", "/apisix/admin/upstreams/1", "{\"id\":\"2\",\"nodes\":{\"127.0.0.1:80\":1}}", "wrong upstream id");
        Resp up = call("POST", "/apisix/admin/upstreams", "{\"nodes\":[{\"host\":\"127.0.0.1\",\"port\":80,\"weight\":1}]}");
        assertEquals(201, up.status(), up.body());
        Resp got = call("GET", "/apisix/admin/upstreams/" + up.json().getJsonObject("value").getString("id"), null);
        assertEquals(200, got.status());
    }

    // ---- global rules ----

    @Test
    void globalRules() throws Exception {
        Resp r = call("PUT", "/apisix/admin/global_rules/1", "{\"plugins\":{\"test-limit\":{\"limit\":1}}}");
        assertEquals(201, r.status(), r.body());
        assertEquals("1", stored("/apisix/global_rules/1").getString("id"));
        refused("POST", "/apisix/admin/global_rules", "{\"plugins\":{}}", 405, "not supported `POST` method for global rule");
        refused("PUT", "/apisix/admin/global_rules/2", "{\"plugins\":{\"test-limit\":{\"limit\":1}}}",
                "plugin 'test-limit' already exists in global rule with id '1'");
        refused("PUT", "/apisix/admin/global_rules/2", "{}", "invalid configuration: property \"plugins\" is required");
        assertEquals(200, call("PUT", "/apisix/admin/global_rules/1", "{\"plugins\":{\"test-limit\":{\"limit\":3}}}").status());
        Resp p = call("PATCH", "/apisix/admin/global_rules/1", "{\"plugins\":{\"test-echo\":{}}}");
        assertEquals(200, p.status(), p.body());
        assertTrue(stored("/apisix/global_rules/1").getJsonObject("plugins").containsKey("test-echo"));
        assertEquals(1, call("GET", "/apisix/admin/global_rules", null).json().getInteger("total"));
        assertEquals(200, call("DELETE", "/apisix/admin/global_rules/1", null).status());
    }

    // ---- plugin metadata ----

    @Test
    void pluginMetadata() throws Exception {
        Resp r = call("PUT", "/apisix/admin/plugin_metadata/test-limit", "{\"ikey\":1}");
        assertEquals(201, r.status(), r.body());
        assertEquals(new JsonObject().put("ikey", 1).put("id", "test-limit"), stored("/apisix/plugin_metadata/test-limit"));
        assertEquals(200, call("PUT", "/apisix/admin/plugin_metadata/test-limit", "{\"ikey\":2}").status());
        assertEquals(2, call("GET", "/apisix/admin/plugin_metadata/test-limit", null).json().getJsonObject("value")
                .getInteger("ikey"));
        refused("PUT", "/apisix/admin/plugin_metadata/test-limit", "{\"skey\":1}",
                "invalid configuration: property \"ikey\" is required");
        refused("PUT", "/apisix/admin/plugin_metadata/nope", "{}", "invalid plugin name");
        refused("PUT", "/apisix/admin/plugin_metadata", "{}", "missing plugin name");
        refused("PATCH", "/apisix/admin/plugin_metadata/test-limit", "{}", 405,
                "not supported `PATCH` method for plugin_metadata");
        assertEquals(201, call("PUT", "/apisix/admin/plugin_metadata/test-echo", "{\"any\":true}").status());
        assertEquals(200, call("DELETE", "/apisix/admin/plugin_metadata/test-limit", null).status());
        assertEquals(404, call("GET", "/apisix/admin/plugin_metadata/test-limit", null).status());
    }

    // ---- plugins ----

    @Test
    void pluginsListAndSchema() throws Exception {
        Resp list = call("GET", "/apisix/admin/plugins/list", null);
        assertEquals(200, list.status());
        assertEquals(new JsonArray().add("test-limit").add("test-echo"), new JsonArray(list.body()));
        Resp schema = call("GET", "/apisix/admin/plugins/test-limit", null);
        assertEquals(200, schema.status());
        assertEquals(new JsonObject(TestPlugins.LimitPlugin.SCHEMA), schema.json());
        Resp missing = call("GET", "/apisix/admin/plugins/nope", null);
        assertEquals(404, missing.status());
        assertEquals("plugin not found in subsystem http", missing.error());
        Resp all = call("GET", "/apisix/admin/plugins?all=true", null);
        assertEquals(1000, all.json().getJsonObject("test-limit").getInteger("priority"));
    }

    @Test
    void unsupportedResource() throws Exception {
        Resp r = call("GET", "/apisix/admin/ssls", null);
        assertEquals(404, r.status());
        assertEquals("Unsupported resource type: ssls", r.error());
    }

    // ---- auth ----

    @Test
    void tokenIsRequired() throws Exception {
        Resp none = call(admin, "GET", "/apisix/admin/routes", null, null);
        assertEquals(401, none.status());
        assertEquals(new JsonObject().put("error_msg", "failed to check token").put("description", "missing apikey"),
                none.json());
        Resp wrong = call(admin, "PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}", "wrong");
        assertEquals(401, wrong.status());
        assertEquals("wrong apikey", wrong.json().getString("description"));
        assertFalse(wrong.body().contains(KEY), "never echo keys");
        assertTrue(store.dump().isEmpty());

        Resp query = call(admin, "GET", "/apisix/admin/routes?api_key=" + KEY, null, null);
        assertEquals(200, query.status());
    }

    @Test
    void viewerMayOnlyRead() throws Exception {
        call("PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}");
        Map<String, KeyValue> before = store.dump();
        assertEquals(200, call(admin, "GET", "/apisix/admin/routes/1", null, VIEWER_KEY).status());
        for (String m : List.of("PUT", "PATCH", "DELETE", "POST")) {
            Resp r = call(admin, m, "/apisix/admin/routes/1", "{\"uri\":\"/b\"," + UP + "}", VIEWER_KEY);
            assertEquals(401, r.status(), m);
            assertEquals("invalid method for role viewer", r.json().getString("description"));
        }
        assertEquals(before, store.dump());
    }

    @Test
    void allowAdminRestrictsClients() throws Exception {
        InMemoryStore other = new InMemoryStore("/apisix");
        PluginRegistry registry = PluginRegistry.of(List.of(new TestPlugins.LimitPlugin()), null);
        AdminServer denied = await(AdminServer.start(vertx, new AdminOptions("127.0.0.1", 0, List.of(),
                List.of(Cidr.parse("10.0.0.0/8"))), other, registry, AdminChecks.NONE));
        AdminServer allowed = await(AdminServer.start(vertx, new AdminOptions("127.0.0.1", 0, List.of(),
                List.of(Cidr.parse("127.0.0.0/24"))), other, registry, null));
        try {
            Resp r = call(denied, "PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}", null);
            assertEquals(403, r.status());
            assertTrue(other.dump().isEmpty());
            // no keys configured: no token needed, as APISIX without admin_key
            Resp ok = call(allowed, "PUT", "/apisix/admin/routes/1", "{\"uri\":\"/a\"," + UP + "}", null);
            assertEquals(201, ok.status(), ok.body());
        } finally {
            await(denied.close());
            await(allowed.close());
        }
    }

    @Test
    void responsesCarryTheApiVersion() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.actualPort()
                        + "/apisix/admin/routes")).header("X-API-KEY", KEY).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("v3", r.headers().firstValue("X-API-VERSION").orElse(null));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        Json.decodeValue(r.body());
    }

    @Test
    void pluginAdminApiIsServedBehindTheAdminKeyAndCannotShadowAResource() throws Exception {
        PluginRegistry registry = PluginRegistry.of(List.of(new TestPlugins.ApiPlugin("test-api"),
                new TestPlugins.ApiPlugin("routes")), null);
        AdminServer server = await(AdminServer.start(vertx, new AdminOptions("127.0.0.1", 0,
                List.of(new AdminKey("admin", KEY, "admin")), null), new InMemoryStore("/apisix"), registry, null));
        try {
            Resp r = call(server, "GET", "/apisix/admin/test-api/spend/x?q=1", null, KEY);
            assertEquals(200, r.status(), r.body());
            assertEquals("get", r.json().getString("method"));
            assertEquals("spend/x", r.json().getString("sub_path"));
            assertEquals("1", r.json().getString("q"));
            assertEquals(401, call(server, "GET", "/apisix/admin/test-api/spend", null, "wrong-key").status());
            Resp routes = call(server, "GET", "/apisix/admin/routes", null, KEY);
            assertEquals(200, routes.status(), routes.body());
            assertNull(routes.json().getString("sub_path"), "routes stay the Admin API's own");
        } finally {
            await(server.close());
        }
    }
}
