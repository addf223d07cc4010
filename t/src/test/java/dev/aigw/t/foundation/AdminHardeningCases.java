package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Hostile or careless Admin API input (issue #11): each case is a reproduction a user could run with
 * curl. Every refused write is a quick 400 {@code {"error_msg": ...}}, stores nothing, and leaves no
 * stack trace in the log; every accepted write is routed by the very next request.
 */
abstract class AdminHardeningCases extends StoreTestBase {

    /** A PUT/PATCH with raw bytes (what a String body cannot carry: invalid UTF-8). */
    private HttpResult adminBytes(String method, String path, byte[] body) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(gw.adminUrl("/apisix/admin" + path)))
                .timeout(Duration.ofSeconds(30))
                .header("X-API-KEY", gw.config().adminKey())
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            HttpResponse<String> resp = gw.httpClient().send(req, HttpResponse.BodyHandlers.ofString());
            return HttpResult.of(resp.statusCode(), resp.headers().map(), resp.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " got no answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void assertRefused(HttpResult r, String errorPart, String what) {
        assertEquals(400, r.status(), what + ": " + r);
        String msg = r.jsonObject().getString("error_msg");
        assertNotNull(msg, what + " has an error_msg: " + r);
        assertContains(msg, errorPart, what);
    }

    private void assertNoStackTrace(String what) {
        String logs = gw.allLogs();
        assertFalse(logs.contains("StackOverflowError"), what + " overflowed the stack:\n" + gw.outputTail(40));
        assertFalse(logs.contains("StreamConstraintsException"), what + " escaped Jackson's limit:\n" + gw.outputTail(40));
        assertFalse(logs.contains("\tat dev.aigw"), what + " logged a stack trace:\n" + gw.outputTail(40));
    }

    private void assertNotStored(String path) {
        assertEquals(404, gw.admin("GET", path, null).status(), path + " must not be stored");
    }

    // ---- point 2: nesting depth and encoding ----

    @Test
    void jsonTenThousandLevelsDeepIs400() {
        String deep = "{\"uri\":\"/deep\",\"desc\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        HttpResult r = gw.admin("PUT", "/routes/deep", deep);
        assertRefused(r, "Found too many nested data structures", "a 20 KB body nested 10 000 deep");
        assertNotStored("/routes/deep");
        assertNoStackTrace("10 000 levels of JSON");
    }

    @Test
    void varsNested600DeepIs400() {
        // ["AND", ["AND", ... ["arg_a","==","1"], ["arg_b","==","1"]] ... , ["arg_b","==","1"]]
        JsonArray leafA = new JsonArray().add("arg_a").add("==").add("1");
        JsonArray vars = new JsonArray().add("AND").add(leafA).add(leafA.copy());
        for (int i = 0; i < 600; i++) {
            vars = new JsonArray().add("AND").add(vars).add(leafA.copy());
        }
        String body = new JsonObject().put("uri", "/deep-vars").put("vars", new JsonArray().add(vars))
                .put("upstream", new JsonObject(upstream(0, "deep"))).encode();
        HttpResult r = gw.admin("PUT", "/routes/deep-vars", body);
        assertRefused(r, "failed to validate the 'vars' expression", "vars nested 600 deep");
        assertNotStored("/routes/deep-vars");
        assertNoStackTrace("vars nested 600 deep");
    }

    @Test
    void invalidUtf8Is400AndNothingStored() {
        byte[] prefix = "{\"uri\":\"/utf8\",\"desc\":\"caf".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = ("\",\"upstream\":" + upstream(0, "u") + "}").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[prefix.length + 2 + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
        body[prefix.length + 1] = (byte) 0x28;
        System.arraycopy(suffix, 0, body, prefix.length + 2, suffix.length);
        HttpResult r = adminBytes("PUT", "/routes/utf8", body);
        assertRefused(r, "invalid UTF-8", "a body that is not UTF-8");
        assertNotStored("/routes/utf8");
        // valid multi-byte text is kept exactly
        HttpResult ok = adminBytes("PUT", "/routes/utf8", ("{\"uri\":\"/utf8\",\"desc\":\"café ☕\",\"upstream\":"
                + upstream(0, "u") + "}").getBytes(StandardCharsets.UTF_8));
        assertEquals(201, ok.status(), ok.toString());
        assertEquals("café ☕", gw.admin("GET", "/routes/utf8", null).jsonObject().getJsonObject("value")
                .getString("desc"));
        gw.admin("DELETE", "/routes/utf8", null);
    }

    // ---- point 7: upstream.type ----

    @Test
    void unknownBalancerTypeIsRefusedEverywhere() {
        String bogus = "{\"type\":\"bogus\",\"nodes\":{\"" + backend.node(0) + "\":1}}";
        assertRefused(gw.admin("PUT", "/upstreams/bogus", bogus), "property \"type\" validation failed",
                "PUT /upstreams with type bogus");
        assertNotStored("/upstreams/bogus");
        assertRefused(gw.admin("PUT", "/routes/bogus", "{\"uri\":\"/bogus\",\"upstream\":" + bogus + "}"),
                "property \"type\" validation failed", "an inline route upstream with type bogus");
        assertNotStored("/routes/bogus");

        put("/routes/typed", "{\"uri\":\"/typed\",\"upstream\":" + upstream(0, "typed") + "}");
        assertEquals(200, gw.http("GET", "/typed", null).status());
        assertRefused(gw.admin("PATCH", "/routes/typed/upstream/type", "\"bogus\""),
                "property \"type\" validation failed", "PATCH of the sub-path upstream/type");
        assertEquals("roundrobin", gw.admin("GET", "/routes/typed", null).jsonObject().getJsonObject("value")
                .getJsonObject("upstream").getString("type"), "the refused PATCH changed nothing");
        assertEquals(200, gw.http("GET", "/typed", null).status(), "the route still works");
        gw.admin("DELETE", "/routes/typed", null);
    }

    @Test
    void everyApisixBalancerTypeServes() {
        for (String type : new String[] {"roundrobin", "chash", "least_conn", "ewma"}) {
            String up = "{\"type\":\"" + type + "\"" + ("chash".equals(type) ? ",\"key\":\"remote_addr\"" : "")
                    + ",\"pass_host\":\"rewrite\",\"upstream_host\":\"" + type + "\",\"nodes\":{\""
                    + backend.node(0) + "\":1,\"127.0.0.1:1\":0}}";
            put("/upstreams/lb-" + type, up);
            put("/routes/lb-" + type, "{\"uri\":\"/lb/" + type + "\",\"upstream_id\":\"lb-" + type + "\"}");
            for (int i = 0; i < 5; i++) {
                HttpResult r = gw.http("GET", "/lb/" + type, null);
                assertEquals(200, r.status(), type + ": " + r);
                assertEquals(type, r.header("X-Echo-Host"), type + " reaches the only node with a weight");
            }
            gw.admin("DELETE", "/routes/lb-" + type, null);
            gw.admin("DELETE", "/upstreams/lb-" + type, null);
        }
    }

    // ---- point 8: integers out of range ----

    @Test
    void priorityBeyondInt64IsRefused() {
        String route = "{\"uri\":\"/prio\",\"priority\":9223372036854775808,\"upstream\":" + upstream(0, "p") + "}";
        assertRefused(gw.admin("PUT", "/routes/prio", route), "out of range", "priority 2^63");
        assertNotStored("/routes/prio");
        assertRefused(gw.admin("PUT", "/routes/prio", route.replace("9223372036854775808",
                "-99999999999999999999")), "out of range", "priority -10^20");
        assertNotStored("/routes/prio");
        // the largest 64-bit value is a valid priority
        put("/routes/prio", route.replace("9223372036854775808", "9223372036854775807"));
        assertEquals(9223372036854775807L, gw.admin("GET", "/routes/prio", null).jsonObject()
                .getJsonObject("value").getLong("priority"));
        gw.admin("DELETE", "/routes/prio", null);
    }

    @Test
    void upstreamIntegersBeyondInt32AreRefused() {
        String node = backend.node(0);
        assertRefused(gw.admin("PUT", "/upstreams/big", "{\"nodes\":{\"" + node + "\":4294967297}}"),
                "validation failed", "a node weight of 2^32 + 1");
        assertRefused(gw.admin("PUT", "/upstreams/big", "{\"retries\":4294967296,\"nodes\":{\"" + node + "\":1}}"),
                "validation failed", "retries of 2^32");
        assertRefused(gw.admin("PUT", "/upstreams/big", "{\"nodes\":[{\"host\":\"127.0.0.1\",\"port\":80,"
                + "\"weight\":1,\"priority\":2147483648}]}"), "validation failed", "a node priority of 2^31");
        assertNotStored("/upstreams/big");
    }

    // ---- point 11: a write is routed by the next request ----

    @Test
    void aRouteIsServedRightAfterItsWriteIsAnswered() {
        for (int i = 0; i < 20; i++) {
            String id = "visible-" + i;
            put("/routes/" + id, "{\"uri\":\"/visible/" + i + "\",\"upstream\":" + upstream(0, id) + "}");
            HttpResult r = gw.http("GET", "/visible/" + i, null);
            assertEquals(200, r.status(), "the request right after the 201 of route " + id + ": " + r);
            assertEquals(id, r.header("X-Echo-Host"));
            gw.admin("DELETE", "/routes/" + id, null);
            assertEquals(404, gw.http("GET", "/visible/" + i, null).status(),
                    "the request right after the DELETE of route " + id + " is not routed");
        }
        put("/routes/visible-patch", "{\"uri\":\"/visible/patch\",\"upstream\":" + upstream(0, "before") + "}");
        assertEquals(200, gw.admin("PATCH", "/routes/visible-patch/upstream/upstream_host", "\"after\"").status());
        assertEquals("after", gw.http("GET", "/visible/patch", null).header("X-Echo-Host"),
                "the request right after a PATCH sees it");
        gw.admin("DELETE", "/routes/visible-patch", null);
    }
}
