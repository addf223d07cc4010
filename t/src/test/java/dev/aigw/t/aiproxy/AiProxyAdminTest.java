package dev.aigw.t.aiproxy;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.GcpServiceAccount;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.stream.Stream;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.bearer;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The Admin API refuses invalid ai-proxy configurations with a 400 that names the field, and stores
 * nothing (a route already stored under that id keeps serving).
 */
class AiProxyAdminTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    static Stream<Arguments> invalid() {
        String sa = GcpServiceAccount.generate("p1", "http://127.0.0.1:1/token").json().encode();
        JsonObject gcp = new JsonObject().put("gcp", new JsonObject().put("service_account_json", sa));
        JsonObject key = bearer("k");
        return Stream.of(
                arguments("azure-openai without endpoint", new JsonObject().put("provider", "azure-openai")
                        .put("auth", new JsonObject().put("header", new JsonObject().put("api-key", "k"))),
                        "override.endpoint"),
                arguments("vertex-ai without provider_conf or endpoint",
                        new JsonObject().put("provider", "vertex-ai").put("auth", gcp),
                        "provider_conf (project_id + region) or override.endpoint"),
                arguments("vertex-ai without region", new JsonObject().put("provider", "vertex-ai").put("auth", gcp)
                        .put("provider_conf", new JsonObject().put("project_id", "p1")), "project_id + region"),
                arguments("unknown provider", new JsonObject().put("provider", "skynet").put("auth", key), "property \"provider\""),
                arguments("provider not a string", new JsonObject().put("provider", 42).put("auth", key), "property \"provider\""),
                arguments("provider missing", new JsonObject().put("auth", key),
                        "property \"provider\" is required"),
                arguments("auth missing", new JsonObject().put("provider", "openai"), "property \"auth\" is required"),
                arguments("auth header value not a string", new JsonObject().put("provider", "openai")
                        .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", 12345))),
                        "property \"header\""),
                arguments("timeout not an integer", new JsonObject().put("provider", "openai").put("auth", key)
                        .put("timeout", "30s"), "property \"timeout\""),
                arguments("ssl_verify not a boolean", new JsonObject().put("provider", "openai").put("auth", key)
                        .put("ssl_verify", "yes"), "property \"ssl_verify\""),
                arguments("options not an object", new JsonObject().put("provider", "openai").put("auth", key)
                        .put("options", "gpt-4o"), "property \"options\""),
                arguments("endpoint not http", aiProxy("openai", "ftp://127.0.0.1/x", key), "override.endpoint"),
                arguments("service account not JSON", new JsonObject().put("provider", "vertex-ai")
                        .put("provider_conf", new JsonObject().put("project_id", "p1").put("region", "r1"))
                        .put("auth", new JsonObject().put("gcp", new JsonObject().put("service_account_json", "{oops"))),
                        "auth.gcp.service_account_json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidConfigIsRefusedWithTheFieldNamed(String label, JsonObject aiProxy, String field) {
        String id = "bad-" + Integer.toHexString(label.hashCode());
        JsonObject route = new JsonObject().put("uri", "/bad/*").put("plugins", new JsonObject().put("ai-proxy", aiProxy));
        HttpResult r = gw().admin("PUT", "/routes/" + id, route.encode());
        assertEquals(400, r.status(), label + ": " + r);
        String msg = r.jsonObject().getString("error_msg");
        assertTrue(msg != null && msg.contains("ai-proxy"), "names the plugin: " + msg);
        assertTrue(msg.contains(field), "names " + field + ": " + msg);
        assertEquals(404, gw().admin("GET", "/routes/" + id, null).status(), "nothing stored");
    }

    @Test
    void anInvalidUpdateLeavesTheStoredRouteServing() {
        putRoute(gw(), "keep", "/keep/*", aiProxy("openai", ENV.mock().url(), bearer("sk-keep")));
        HttpResult bad = gw().admin("PUT", "/routes/keep", new JsonObject().put("uri", "/keep/*")
                .put("plugins", new JsonObject().put("ai-proxy", new JsonObject().put("provider", "azure-openai")
                        .put("auth", bearer("sk-other")))).encode());
        assertEquals(400, bad.status(), bad.toString());

        JsonObject stored = gw().admin("GET", "/routes/keep", null).jsonObject();
        assertEquals("openai", stored.getJsonObject("value").getJsonObject("plugins").getJsonObject("ai-proxy")
                .getString("provider"));
        HttpResult r = gw().http("POST", "/keep/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.status(), r.toString());
        assertEquals("Bearer sk-keep", ENV.mock().lastRequest().header("Authorization"));
        // once the request's line is written, it holds no key
        assertTrue(MockLlm.await(() -> gw().accessLog().contains("/keep/v1/chat/completions"), Duration.ofSeconds(10)),
                gw().accessLog());
        assertFalse(gw().accessLog().contains("sk-keep"));
    }
}
