package dev.aigw.t.requestlog;

import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** ai-error-notify against a local webhook receiver: formats, conditions, and the dedup window. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorNotifyTest {

    static final Duration WAIT = Duration.ofSeconds(15);

    MockLlm mock;
    GatewayProcess gw;
    WebhookServer hooks;

    @BeforeAll
    void startAll() throws Exception {
        mock = new MockLlm();
        hooks = new WebhookServer();
        gw = GatewayProcess.builder(Files.createTempDirectory("aigw-t-notify-")).config(GatewayConfig.create()).start();
    }

    @AfterAll
    void stopAll() {
        if (gw != null) {
            gw.close();
        }
        if (mock != null) {
            mock.close();
        }
        if (hooks != null) {
            hooks.close();
        }
    }

    private void putRoute(String id, JsonObject route) {
        HttpResult r = gw.admin("PUT", "/routes/" + id, route.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "route " + id + " stored: " + r);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (gw.http("POST", route.getString("uri"), "{\"route-probe\":true}").status() != 400) {
            assertTrue(System.nanoTime() - deadline < 0, "route " + id + " not live");
            Pause.sleep(50);
        }
    }

    private static String chat() {
        return new JsonObject().put("model", "gpt-4o").put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi"))).encode();
    }

    private List<WebhookServer.Received> await(String prefix, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (hooks.on(prefix).size() < n) {
            if (System.nanoTime() - deadline >= 0) {
                fail("expected " + n + " webhook calls on " + prefix + ", got " + hooks.on(prefix).size()
                        + "\n" + gw.outputTail(20));
            }
            Pause.sleep(50);
        }
        return hooks.on(prefix);
    }

    @Test
    void anOutageSendsAFewMessagesInEachFormat() throws Exception {
        JsonObject notify = new JsonObject()
                .put("webhooks", new JsonArray()
                        .add(new JsonObject().put("type", "json").put("url", hooks.url("/json"))
                                .put("headers", new JsonObject().put("X-Hook-Token", "t0k")))
                        .add(new JsonObject().put("type", "feishu").put("url", hooks.url("/feishu/hook"))
                                .put("secret", "s3cr3t"))
                        .add(new JsonObject().put("type", "matrix").put("url", hooks.url("/mx"))
                                .put("room_id", "!room:example.org").put("access_token", "mx-token")))
                .put("status", new JsonArray().add("5xx"))
                .put("window", 300).put("max_per_window", 2);
        JsonObject aiProxy = new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-provider-zzzz")))
                .put("override", new JsonObject().put("endpoint", mock.url() + "/v1/chat/completions"));
        putRoute("n1", new JsonObject().put("uri", "/n1/v1/chat/completions").put("name", "notify me")
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy).put("ai-error-notify", notify)));

        assertEquals(200, gw.http("POST", "/n1/v1/chat/completions", chat()).status());
        mock.failNext(10, 502);
        for (int i = 0; i < 10; i++) {
            assertEquals(502, gw.http("POST", "/n1/v1/chat/completions", chat()).status());
        }
        List<WebhookServer.Received> json = await("/json", 2);
        await("/feishu", 2);
        await("/mx", 2);
        // a 200 and the probe's 400 are not failures this route notifies about
        assertEquals(200, gw.http("POST", "/n1/v1/chat/completions", chat()).status());
        Pause.sleep(1000); // give any extra (wrong) message time to arrive
        assertEquals(2, hooks.on("/json").size(), "10 failures, 2 messages in the window");
        assertEquals(2, hooks.on("/feishu").size());
        assertEquals(2, hooks.on("/mx").size());

        JsonObject e = json.get(0).json();
        assertEquals("n1", e.getString("route_id"));
        assertEquals("notify me", e.getString("route_name"));
        assertEquals(502, e.getInteger("status"));
        assertEquals("5xx", e.getString("kind"));
        assertEquals("gpt-4o", e.getString("model"));
        assertTrue(e.getString("text").contains("status 502 on route n1"), e.encode());
        assertEquals("t0k", json.get(0).header("X-Hook-Token"));
        assertEquals("POST", json.get(0).method());

        WebhookServer.Received f = hooks.on("/feishu").get(0);
        JsonObject fb = f.json();
        assertEquals("text", fb.getString("msg_type"));
        assertTrue(fb.getJsonObject("content").getString("text").contains("status 502"), fb.encode());
        long ts = Long.parseLong(fb.getString("timestamp"));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec((ts + "\ns3cr3t").getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertEquals(Base64.getEncoder().encodeToString(mac.doFinal(new byte[0])), fb.getString("sign"),
                "Feishu's signature");

        WebhookServer.Received m = hooks.on("/mx").get(0);
        assertEquals("PUT", m.method());
        assertTrue(m.path().startsWith("/mx/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/"),
                m.path());
        assertEquals("Bearer mx-token", m.header("Authorization"));
        assertEquals("m.text", m.json().getString("msgtype"));
        assertFalse(hooks.on("/mx").get(0).path().equals(hooks.on("/mx").get(1).path()), "one txn id per message");

        assertFalse(gw.allLogs().contains("mx-token") || gw.allLogs().contains("s3cr3t"), "no secret logged");
    }

    @Test
    void allInstancesFailedNotifiesOnlyWhenEveryInstanceFailed() {
        JsonArray instances = new JsonArray();
        for (String name : List.of("a", "b")) {
            instances.add(new JsonObject().put("name", name).put("provider", "openai-compatible")
                    .put("weight", 1).put("priority", 0)
                    .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                    .put("options", new JsonObject().put("model", "model-" + name))
                    .put("override", new JsonObject().put("endpoint", mock.url() + "/v1/chat/completions")));
        }
        JsonObject multi = new JsonObject().put("instances", instances)
                .put("fallback_strategy", new JsonArray().add("http_5xx"));
        JsonObject notify = new JsonObject()
                .put("webhooks", new JsonArray().add(new JsonObject().put("type", "json").put("url", hooks.url("/all"))))
                .put("all_instances_failed", true);
        putRoute("n2", new JsonObject().put("uri", "/n2/v1/chat/completions")
                .put("plugins", new JsonObject().put("ai-proxy-multi", multi).put("ai-error-notify", notify)));

        mock.failNext(1, 500); // one instance fails, the other answers: no message
        assertEquals(200, gw.http("POST", "/n2/v1/chat/completions", chat()).status());
        mock.failNext(2, 500); // both fail
        int st = gw.http("POST", "/n2/v1/chat/completions", chat()).status();
        assertTrue(st >= 500, "all instances failed: " + st);

        List<WebhookServer.Received> all = await("/all", 1);
        Pause.sleep(500);
        assertEquals(1, hooks.on("/all").size(), "only the request where every instance failed");
        JsonObject e = all.get(0).json();
        assertEquals("all_instances_failed", e.getString("kind"));
        assertTrue(e.getBoolean("all_instances_failed"));
        assertEquals(2, e.getInteger("attempts"));
        assertTrue(e.getString("text").startsWith("aigw: AI request failed\nall instances failed on route n2"),
                e.getString("text"));
    }

    @Test
    void adminApiRefusesAMatrixWebhookWithoutItsToken() {
        JsonObject notify = new JsonObject().put("webhooks", new JsonArray()
                .add(new JsonObject().put("type", "matrix").put("url", hooks.url("/mx")).put("room_id", "!r:x")));
        HttpResult r = gw.admin("PUT", "/routes/bad", new JsonObject().put("uri", "/bad")
                .put("plugins", new JsonObject().put("ai-error-notify", notify)).encode());
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.body().contains("matrix webhook needs room_id and access_token"), r.body());
    }
}
