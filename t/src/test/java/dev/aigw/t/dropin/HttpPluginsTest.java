package dev.aigw.t.dropin;

import dev.aigw.t.GatewayExtension;
import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code cors}, {@code request-id} and {@code ip-restriction} on plain routes, in the JSON of APISIX's
 * documentation, checked the way a browser, an upstream and a refused client see them.
 */
class HttpPluginsTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    /** The upstream answers 200 "hello" on each test's path (the mock forgets responders between tests). */
    @BeforeEach
    void upstream() {
        for (String p : new String[] {"/web/cors", "/web/cors-re", "/web/rid", "/web/ip"}) {
            ENV.mock().respond(p, (req, rec) -> req.response().end("hello"));
        }
    }

    /** Waits (bounded) until {@code check} holds: a route change reaches the data plane through the watch. */
    private static void eventually(String what, java.util.function.BooleanSupplier check) {
        Pause.until(what, Duration.ofSeconds(10), 50, check);
    }

    private static void route(String id, String uri, JsonObject plugins) {
        JsonObject r = new JsonObject().put("uri", uri).put("plugins", plugins)
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(ENV.mock().hostPort(), 1)));
        HttpResult put = gw().admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "stored: " + put);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // the gateway's own "404 Route Not Found" until the route is live (a plugin may answer 404 too)
        while (gw().http("OPTIONS", uri, null).body().contains("Route Not Found")) {
            if (System.nanoTime() - deadline > 0) {
                fail("route " + id + " not live");
            }
            sleep(50);
        }
    }

    @Test
    void corsAnswersThePreflightAndMarksResponsesForAllowedOrigins() {
        route("cors", "/web/cors", new JsonObject().put("cors", new JsonObject()
                .put("allow_origins", "https://app.example,https://admin.example")
                .put("allow_methods", "GET,POST").put("allow_headers", "Authorization,Content-Type")
                .put("expose_headers", "X-Request-Id").put("max_age", 600).put("allow_credential", true)));

        HttpResult pre = gw().http("OPTIONS", "/web/cors", null, "Origin", "https://app.example",
                "Access-Control-Request-Method", "POST");
        assertEquals(200, pre.status());
        assertEquals("https://app.example", pre.header("Access-Control-Allow-Origin"));
        assertEquals("GET,POST", pre.header("Access-Control-Allow-Methods"));
        assertEquals("Authorization,Content-Type", pre.header("Access-Control-Allow-Headers"));
        assertEquals("600", pre.header("Access-Control-Max-Age"));
        assertEquals("true", pre.header("Access-Control-Allow-Credentials"));
        assertEquals("Origin", pre.header("Vary"));
        int before = ENV.mock().count();
        HttpResult again = gw().http("OPTIONS", "/web/cors", null, "Origin", "https://app.example");
        assertEquals(200, again.status());
        assertEquals(before, ENV.mock().count(), "a preflight is answered by the gateway, not the upstream");

        HttpResult get = gw().http("GET", "/web/cors", null, "Origin", "https://admin.example");
        assertEquals(200, get.status());
        assertEquals("hello", get.body());
        assertEquals("https://admin.example", get.header("Access-Control-Allow-Origin"));
        assertEquals("X-Request-Id", get.header("Access-Control-Expose-Headers"));

        HttpResult other = gw().http("GET", "/web/cors", null, "Origin", "https://evil.example");
        assertEquals(200, other.status());
        assertNull(other.header("Access-Control-Allow-Origin"), "an origin not listed gets no CORS headers");
    }

    @Test
    void corsByRegexAndTheDefaultStar() {
        route("cors-re", "/web/cors-re", new JsonObject().put("cors", new JsonObject()
                .put("allow_origins_by_regex", new JsonArray().add(".*\\.example\\.org$"))));
        assertEquals("https://a.example.org", gw().http("GET", "/web/cors-re", null, "Origin", "https://a.example.org")
                .header("Access-Control-Allow-Origin"));
        assertNull(gw().http("GET", "/web/cors-re", null, "Origin", "https://example.net")
                .header("Access-Control-Allow-Origin"));

        route("cors-re", "/web/cors-re", new JsonObject().put("cors", new JsonObject()));
        eventually("the default cors config", () -> "*".equals(gw().http("GET", "/web/cors-re", null,
                "Origin", "https://anything.example").header("Access-Control-Allow-Origin")));
        HttpResult any = gw().http("GET", "/web/cors-re", null, "Origin", "https://anything.example");
        assertEquals("*", any.header("Access-Control-Allow-Origin"));
        assertEquals("*", any.header("Access-Control-Allow-Methods"));
        assertEquals("5", any.header("Access-Control-Max-Age"));
    }

    @Test
    void corsRefusesStarWithCredentials() {
        HttpResult r = gw().admin("PUT", "/routes/cors-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("cors", new JsonObject().put("allow_credential", true))).encode());
        assertEquals(400, r.status());
        assertTrue(r.jsonObject().getString("error_msg")
                .contains("you can not set '*' for other option when 'allow_credential' is true"), r.body());
    }

    @Test
    void requestIdIsSentUpstreamAndBackAndKeepsTheClientsOwn() {
        route("rid", "/web/rid", new JsonObject().put("request-id", new JsonObject()
                .put("header_name", "X-Trace-Id").put("algorithm", "uuidv7")));
        Pattern uuidV7 = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            HttpResult r = gw().http("GET", "/web/rid", null);
            assertEquals(200, r.status());
            String id = r.header("X-Trace-Id");
            assertTrue(id != null && uuidV7.matcher(id).matches(), "uuidv7 id: " + id);
            assertEquals(id, ENV.mock().lastRequest().header("X-Trace-Id"), "the upstream saw the same id");
            seen.add(id);
        }
        assertEquals(5, seen.size(), "a new id per request");

        HttpResult own = gw().http("GET", "/web/rid", null, "X-Trace-Id", "client-id-42");
        assertEquals("client-id-42", own.header("X-Trace-Id"));
        assertEquals("client-id-42", ENV.mock().lastRequest().header("X-Trace-Id"));
    }

    @Test
    void ipRestrictionAllowsAndRefusesByAddress() {
        route("ip", "/web/ip", new JsonObject().put("ip-restriction", new JsonObject()
                .put("blacklist", new JsonArray().add("127.0.0.0/24"))));
        HttpResult refused = gw().http("GET", "/web/ip", null);
        assertEquals(403, refused.status());
        assertEquals("Your IP address is not allowed", refused.jsonObject().getString("message"));
        assertTrue(ENV.mock().requests().stream().noneMatch(q -> q.method().equals("GET")),
                "a refused request never reaches the upstream");

        route("ip", "/web/ip", new JsonObject().put("ip-restriction", new JsonObject()
                .put("whitelist", new JsonArray().add("10.0.0.0/8").add("::1"))
                .put("response_code", 404).put("message", "go away")));
        eventually("the whitelist", () -> gw().http("GET", "/web/ip", null).body().contains("go away"));
        HttpResult notListed = gw().http("GET", "/web/ip", null);
        assertEquals(404, notListed.status());
        assertEquals("go away", notListed.jsonObject().getString("message"));

        route("ip", "/web/ip", new JsonObject().put("ip-restriction", new JsonObject()
                .put("whitelist", new JsonArray().add("127.0.0.1"))));
        eventually("the whitelist with this client", () -> gw().http("GET", "/web/ip", null).status() == 200);
        assertEquals(200, gw().http("GET", "/web/ip", null).status());

        HttpResult bad = gw().admin("PUT", "/routes/ip-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("ip-restriction", new JsonObject()
                        .put("whitelist", new JsonArray().add("300.1.2.3")))).encode());
        assertEquals(400, bad.status());
        assertTrue(bad.jsonObject().getString("error_msg").contains("invalid ip address: 300.1.2.3"), bad.body());
    }
}
