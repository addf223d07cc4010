package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The built-in store is a file: a restarted gateway has the same routes, upstreams and deletions. */
class BuiltinRestartTest extends StoreTestBase {

    @Override
    boolean useEtcd() {
        return false;
    }

    @Test
    void aRestartKeepsRoutesUpstreamsAndDeletions() {
        put("/upstreams/kept-up", upstream(0, "kept-by-id"));
        put("/routes/kept-id", "{\"uri\":\"/kept/id\",\"upstream_id\":\"kept-up\"}");
        JsonObject inline = put("/routes/kept-inline", "{\"uri\":\"/kept/inline\",\"upstream\":"
                + upstream(0, "kept-inline") + "}").jsonObject().getJsonObject("value");
        put("/routes/gone", "{\"uri\":\"/gone\",\"upstream\":" + upstream(0, "gone") + "}");
        assertEquals(200, gw.admin("DELETE", "/routes/gone", null).status());
        awaitServedBy("/kept/inline", "kept-inline");

        gw.restart();

        HttpResult got = gw.admin("GET", "/routes/kept-inline", null);
        assertEquals(200, got.status(), got.toString());
        assertEquals(inline, got.jsonObject().getJsonObject("value"), "the same route, timestamps included");
        assertEquals(200, gw.admin("GET", "/upstreams/kept-up", null).status());
        assertEquals(404, gw.admin("GET", "/routes/gone", null).status(), "a deleted route stays deleted");

        assertEquals("kept-inline", gw.http("GET", "/kept/inline", null).header("X-Echo-Host"),
                "served right after the restart");
        assertEquals("kept-by-id", gw.http("GET", "/kept/id", null).header("X-Echo-Host"));
        assertEquals(404, gw.http("GET", "/gone", null).status());
    }
}
