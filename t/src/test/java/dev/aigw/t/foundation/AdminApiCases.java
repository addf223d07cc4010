package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Admin API as a user sees it: APISIX's envelopes and status codes for routes, upstreams and
 * global rules, PUT/POST/PATCH/DELETE, the plugin list, and every refused request answered 400 with
 * {@code {"error_msg": ...}} and nothing stored. Each test uses its own ids.
 */
abstract class AdminApiCases extends StoreTestBase {

    private static final String VALID_AI_PROXY = "{\"provider\":\"openai\",\"auth\":{\"header\":"
            + "{\"Authorization\":\"Bearer sk-test\"}},\"options\":{\"model\":\"gpt-4o-mini\"}}";

    private String routeKey(String id) {
        return "/apisix/routes/" + id;
    }

    @Test
    void routeCrudWithApisixEnvelopes() {
        String body = "{\"uri\":\"/crud\",\"name\":\"first\",\"upstream\":" + upstream(0, "crud") + "}";
        HttpResult created = gw.admin("PUT", "/routes/crud", body);
        assertEquals(201, created.status(), "a new route is 201 Created: " + created);
        JsonObject env = created.jsonObject();
        assertEquals(routeKey("crud"), env.getString("key"));
        JsonObject value = env.getJsonObject("value");
        assertEquals("crud", value.getString("id"));
        assertEquals("/crud", value.getString("uri"));
        assertInstanceOf(Number.class, value.getValue("create_time"), "create_time set: " + value);
        assertInstanceOf(Number.class, value.getValue("update_time"), "update_time set: " + value);
        long createTime = value.getLong("create_time");

        HttpResult got = gw.admin("GET", "/routes/crud", null);
        assertEquals(200, got.status());
        assertEquals(routeKey("crud"), got.jsonObject().getString("key"));
        assertEquals(value, got.jsonObject().getJsonObject("value"), "GET returns what PUT stored");

        HttpResult updated = gw.admin("PUT", "/routes/crud", body.replace("first", "second"));
        assertEquals(200, updated.status(), "replacing an existing route is 200: " + updated);
        JsonObject v2 = updated.jsonObject().getJsonObject("value");
        assertEquals("second", v2.getString("name"));
        assertEquals(createTime, v2.getLong("create_time"), "create_time survives an update");

        HttpResult list = gw.admin("GET", "/routes", null);
        assertEquals(200, list.status());
        JsonObject l = list.jsonObject();
        JsonArray items = l.getJsonArray("list");
        assertEquals(items.size(), l.getInteger("total"), "total counts the list: " + l);
        assertTrue(keys(items).contains(routeKey("crud")), "the route is listed: " + l);
        JsonObject listed = items.stream().map(o -> (JsonObject) o)
                .filter(o -> routeKey("crud").equals(o.getString("key"))).findFirst().orElseThrow();
        assertEquals("second", listed.getJsonObject("value").getString("name"));

        HttpResult deleted = gw.admin("DELETE", "/routes/crud", null);
        assertEquals(200, deleted.status(), deleted.toString());
        HttpResult missing = gw.admin("GET", "/routes/crud", null);
        assertEquals(404, missing.status(), "gone after DELETE: " + missing);
        assertEquals(404, gw.admin("DELETE", "/routes/crud", null).status(), "deleting again is 404");
        assertFalse(keys(gw.admin("GET", "/routes", null).jsonObject().getJsonArray("list"))
                .contains(routeKey("crud")));
    }

    @Test
    void postGeneratesAnId() {
        HttpResult r = gw.admin("POST", "/routes", "{\"uri\":\"/posted\",\"upstream\":" + upstream(0, "p") + "}");
        assertEquals(201, r.status(), r.toString());
        String id = r.jsonObject().getJsonObject("value").getString("id");
        assertNotNull(id, "a generated id: " + r);
        assertFalse(id.isBlank());
        assertEquals(routeKey(id), r.jsonObject().getString("key"));
        HttpResult got = gw.admin("GET", "/routes/" + id, null);
        assertEquals(200, got.status());
        assertEquals("/posted", got.jsonObject().getJsonObject("value").getString("uri"));

        HttpResult second = gw.admin("POST", "/routes", "{\"uri\":\"/posted2\",\"upstream\":" + upstream(0, "p") + "}");
        assertEquals(201, second.status());
        assertFalse(id.equals(second.jsonObject().getJsonObject("value").getString("id")), "ids are unique");
        gw.admin("DELETE", "/routes/" + id, null);
        gw.admin("DELETE", "/routes/" + second.jsonObject().getJsonObject("value").getString("id"), null);
    }

    @Test
    void patchMergesAndSubPathReplaces() {
        put("/routes/patch", "{\"uri\":\"/patch\",\"desc\":\"one\",\"upstream\":" + upstream(0, "p") + "}");
        HttpResult r = gw.admin("PATCH", "/routes/patch", "{\"desc\":\"two\",\"methods\":[\"GET\"]}");
        assertEquals(200, r.status(), r.toString());
        JsonObject v = gw.admin("GET", "/routes/patch", null).jsonObject().getJsonObject("value");
        assertEquals("two", v.getString("desc"));
        assertEquals("/patch", v.getString("uri"), "fields not in the patch are kept");
        assertEquals(new JsonArray().add("GET"), v.getJsonArray("methods"));

        HttpResult sub = gw.admin("PATCH", "/routes/patch/desc", "\"three\"");
        assertEquals(200, sub.status(), sub.toString());
        assertEquals("three", gw.admin("GET", "/routes/patch", null).jsonObject().getJsonObject("value")
                .getString("desc"));

        HttpResult bad = gw.admin("PATCH", "/routes/patch", "{\"uri\":5}");
        assertEquals(400, bad.status(), "a PATCH that makes the route invalid is refused: " + bad);
        assertEquals("three", gw.admin("GET", "/routes/patch", null).jsonObject().getJsonObject("value")
                .getString("desc"));
        assertEquals("/patch", gw.admin("GET", "/routes/patch", null).jsonObject().getJsonObject("value")
                .getString("uri"), "the refused PATCH stored nothing");

        assertEquals(404, gw.admin("PATCH", "/routes/no-such-route", "{\"desc\":\"x\"}").status());
        gw.admin("DELETE", "/routes/patch", null);
    }

    @Test
    void upstreamCrudAndReferences() {
        HttpResult created = gw.admin("PUT", "/upstreams/up-crud",
                "{\"type\":\"roundrobin\",\"nodes\":{\"" + backend.node(0) + "\":1}}");
        assertEquals(201, created.status(), created.toString());
        assertEquals("/apisix/upstreams/up-crud", created.jsonObject().getString("key"));
        assertEquals("up-crud", created.jsonObject().getJsonObject("value").getString("id"));
        assertEquals(200, gw.admin("GET", "/upstreams/up-crud", null).status());
        assertTrue(keys(gw.admin("GET", "/upstreams", null).jsonObject().getJsonArray("list"))
                .contains("/apisix/upstreams/up-crud"));

        put("/routes/uses-up", "{\"uri\":\"/uses-up\",\"upstream_id\":\"up-crud\"}");
        HttpResult inUse = gw.admin("DELETE", "/upstreams/up-crud", null);
        assertEquals(400, inUse.status(), "an upstream a route uses cannot be deleted: " + inUse);
        assertContains(inUse.jsonObject().getString("error_msg"), "uses-up", "the error names the route");
        assertEquals(200, gw.admin("GET", "/upstreams/up-crud", null).status(), "still there");

        HttpResult patched = gw.admin("PATCH", "/upstreams/up-crud", "{\"desc\":\"patched\"}");
        assertEquals(200, patched.status(), patched.toString());
        assertEquals("patched", patched.jsonObject().getJsonObject("value").getString("desc"));

        assertEquals(200, gw.admin("DELETE", "/routes/uses-up", null).status());
        assertEquals(200, gw.admin("DELETE", "/upstreams/up-crud", null).status());
        assertEquals(404, gw.admin("GET", "/upstreams/up-crud", null).status());

        HttpResult bad = gw.admin("PUT", "/upstreams/bad", "{\"type\":\"roundrobin\",\"nodes\":\"nope\"}");
        assertEquals(400, bad.status(), bad.toString());
        assertContains(bad.jsonObject().getString("error_msg"), "nodes", "the error names the field");
        assertEquals(404, gw.admin("GET", "/upstreams/bad", null).status(), "nothing stored");
    }

    @Test
    void globalRuleCrud() {
        HttpResult created = gw.admin("PUT", "/global_rules/g1", "{\"plugins\":{\"ai-proxy\":" + VALID_AI_PROXY + "}}");
        assertEquals(201, created.status(), created.toString());
        assertEquals("/apisix/global_rules/g1", created.jsonObject().getString("key"));
        HttpResult got = gw.admin("GET", "/global_rules/g1", null);
        assertEquals(200, got.status());
        assertEquals("openai", got.jsonObject().getJsonObject("value").getJsonObject("plugins")
                .getJsonObject("ai-proxy").getString("provider"));
        JsonObject list = gw.admin("GET", "/global_rules", null).jsonObject();
        assertEquals(list.getJsonArray("list").size(), list.getInteger("total"));
        assertTrue(keys(list.getJsonArray("list")).contains("/apisix/global_rules/g1"));

        HttpResult badPlugin = gw.admin("PUT", "/global_rules/g2", "{\"plugins\":{\"no-such-plugin\":{}}}");
        assertEquals(400, badPlugin.status());
        assertEquals(404, gw.admin("GET", "/global_rules/g2", null).status(), "nothing stored");

        assertEquals(200, gw.admin("DELETE", "/global_rules/g1", null).status());
        assertEquals(404, gw.admin("GET", "/global_rules/g1", null).status());
    }

    @Test
    void pluginsListAndSchema() {
        HttpResult list = gw.admin("GET", "/plugins/list", null);
        assertEquals(200, list.status(), list.toString());
        JsonArray names = list.jsonArray();
        assertTrue(names.contains("ai-proxy"), "ai-proxy is enabled by default: " + names);
        for (Object n : names) {
            HttpResult schema = gw.admin("GET", "/plugins/" + n, null);
            assertEquals(200, schema.status(), "schema of " + n + ": " + schema);
            assertNotNull(schema.jsonObject(), "a JSON schema object for " + n);
        }
        HttpResult missing = gw.admin("GET", "/plugins/no-such-plugin", null);
        assertEquals(404, missing.status(), missing.toString());
        assertNotNull(missing.jsonObject().getString("error_msg"));
    }

    @Test
    void refusedRequestsAre400WithAMessageAndStoreNothing() {
        String up = upstream(0, "e");
        List<String[]> cases = new ArrayList<>();
        // { body, word the error_msg must contain }
        cases.add(new String[]{"{\"uri\":\"/e\",", "invalid request body"});
        cases.add(new String[]{"not json at all", "invalid request body"});
        cases.add(new String[]{"{\"uri\":5,\"upstream\":" + up + "}", "uri"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"methods\":\"GET\",\"upstream\":" + up + "}", "methods"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"priority\":\"high\",\"upstream\":" + up + "}", "priority"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"plugins\":{\"no-such-plugin\":{}},\"upstream\":" + up + "}",
                "no-such-plugin"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"upstream_id\":\"no-such-upstream\"}", "no-such-upstream"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"plugins\":{\"ai-proxy\":{\"provider\":\"no-such-provider\"}}}",
                "ai-proxy"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"plugins\":{\"ai-proxy\":\"not an object\"}}", "ai-proxy"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"plugins\":{\"proxy-rewrite\":{\"uri\":5}},\"upstream\":" + up + "}",
                "proxy-rewrite"});
        cases.add(new String[]{"{\"uri\":\"/e\",\"vars\":[[\"arg_a\",\"no-such-op\",\"1\"]],\"upstream\":" + up + "}",
                "vars"});
        // a valid JSON route of more than 1 MiB
        cases.add(new String[]{"{\"uri\":\"/e\",\"desc\":\"" + "x".repeat(1024 * 1024 + 10) + "\",\"upstream\":" + up + "}",
                "greater than the maximum size"});
        for (String[] c : cases) {
            String shortBody = c[0].length() > 120 ? c[0].substring(0, 120) + "..." : c[0];
            HttpResult r = gw.admin("PUT", "/routes/refused", c[0]);
            assertEquals(400, r.status(), "PUT " + shortBody + " -> " + r);
            assertNotNull(r.json(), "a JSON error body for " + shortBody + ": " + r);
            assertContains(r.jsonObject().getString("error_msg"), c[1], "error_msg for " + shortBody);
            assertEquals(404, gw.admin("GET", "/routes/refused", null).status(), "nothing stored for " + shortBody);
        }
        // and none of them reached the data plane
        HttpResult none = gw.http("GET", "/e", null);
        assertEquals(404, none.status(), none.toString());
    }

    @Test
    void aPluginConfigErrorNeverReplacesAGoodRoute() {
        put("/routes/keep", "{\"uri\":\"/keep\",\"upstream\":" + upstream(0, "keep") + "}");
        HttpResult r = gw.admin("PUT", "/routes/keep",
                "{\"uri\":\"/keep\",\"plugins\":{\"ai-proxy\":{\"provider\":\"no-such-provider\"}}}");
        assertEquals(400, r.status(), r.toString());
        JsonObject v = gw.admin("GET", "/routes/keep", null).jsonObject().getJsonObject("value");
        assertFalse(v.containsKey("plugins"), "the stored route is still the good one: " + v);
        gw.admin("DELETE", "/routes/keep", null);
    }

    @Test
    void missingAndUnauthorized() {
        HttpResult missing = gw.admin("GET", "/routes/never-created", null);
        assertEquals(404, missing.status(), missing.toString());
        assertEquals(404, gw.admin("GET", "/upstreams/never-created", null).status());
        assertEquals(404, gw.admin("DELETE", "/global_rules/never-created", null).status());

        String url = gw.adminUrl("/apisix/admin/routes");
        HttpResult noKey = gw.send("GET", url, null, Map.of());
        assertEquals(401, noKey.status(), noKey.toString());
        assertNotNull(noKey.jsonObject().getString("error_msg"));
        HttpResult wrongKey = gw.send("GET", url, null, Map.of("X-API-KEY", "wrong-key"));
        assertEquals(401, wrongKey.status(), wrongKey.toString());
        assertFalse(wrongKey.body().contains(gw.config().adminKey()), "the real key never appears in an error");

        HttpResult writeNoKey = gw.send("PUT", gw.adminUrl("/apisix/admin/routes/nokey"),
                "{\"uri\":\"/nokey\",\"upstream\":" + upstream(0, "n") + "}", Map.of());
        assertEquals(401, writeNoKey.status());
        assertEquals(404, gw.admin("GET", "/routes/nokey", null).status(), "an unauthorized PUT stores nothing");
    }

    @Test
    void noMatchingRouteIs404RouteNotFound() {
        HttpResult r = gw.http("GET", "/nothing/here", null);
        assertEquals(404, r.status());
        assertEquals(new JsonObject().put("error_msg", "404 Route Not Found"), r.jsonObject());
    }

    private static List<String> keys(JsonArray list) {
        List<String> keys = new ArrayList<>();
        for (Object o : list) {
            keys.add(((JsonObject) o).getString("key"));
        }
        return keys;
    }
}
