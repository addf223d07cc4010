package dev.aigw.plugins.aiproxymulti;

import dev.aigw.testkit.MockLlm;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.aigw.plugins.aiproxymulti.AiProxyMultiFailoverTest.CHAT;
import static dev.aigw.plugins.aiproxymulti.AiProxyMultiFailoverTest.conf;
import static dev.aigw.plugins.aiproxymulti.AiProxyMultiFailoverTest.content;
import static dev.aigw.plugins.aiproxymulti.AiProxyMultiFailoverTest.inst;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Active health checks: probes with a probe model take an instance out and bring it back; one prober per identity. */
class AiProxyMultiHealthTest {

    static Vertx vertx;
    static MockLlm a;
    static MockLlm b;
    MultiPipeline gw;

    @BeforeAll
    static void mocks() {
        vertx = Vertx.vertx();
        a = new MockLlm();
        b = new MockLlm();
    }

    @AfterAll
    static void stop() throws Exception {
        a.close();
        b.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeGateway() throws Exception {
        if (gw != null) {
            gw.close();
        }
    }

    static JsonObject probed(JsonObject instance) {
        return instance.put("checks", new JsonObject().put("active", new JsonObject()
                .put("health_check_model", "probe-model")
                .put("timeout", 1)
                .put("healthy", new JsonObject().put("interval", 1).put("successes", 1))
                .put("unhealthy", new JsonObject().put("interval", 1).put("http_failures", 1))));
    }

    private long probes(MockLlm m) {
        return m.requests(MockLlm.Kind.CHAT).stream()
                .filter(r -> "probe-model".equals(r.json().getString("model"))).count();
    }

    @Test
    void activeProbeTakesAnInstanceOutAndBack() throws Exception {
        a.reset().content("answer from a");
        b.reset().content("answer from b");
        // no fallback_strategy: only health decides whether a request avoids the top instance
        JsonObject conf = conf(probed(inst("top", a, 1, 1)), inst("fallback", b, 0, 1));
        conf.remove("fallback_strategy");
        gw = new MultiPipeline(vertx, new AiProxyMultiPlugin(k -> null), conf);
        assertEquals(0, gw.plugin.health().probers(), "nothing runs before the first request");

        assertEquals("answer from a", content(gw.chat("/r0/v1/chat/completions", CHAT)));
        gw.nextFinished();
        assertEquals(1, gw.plugin.health().probers(), "the first request starts the prober");
        assertTrue(MockLlm.await(() -> probes(a) >= 1, Duration.ofSeconds(10)), "the prober probes");
        MockLlm.RecordedRequest probe = a.requests(MockLlm.Kind.CHAT).stream()
                .filter(r -> "probe-model".equals(r.json().getString("model"))).findFirst().orElseThrow();
        assertEquals("Bearer sk-top", probe.header("Authorization"));
        assertEquals("/v1/chat/completions", probe.path());

        a.status(503);
        String topKey = keyOf(conf);
        assertTrue(MockLlm.await(() -> Boolean.FALSE.equals(gw.plugin.health().healthy(topKey)), Duration.ofSeconds(10)),
                "a failed probe marks the instance unhealthy");
        long chatsAtA = a.requests(MockLlm.Kind.CHAT).size() - probes(a);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = gw.chat("/r0/v1/chat/completions", CHAT);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("answer from b", content(r));
            assertEquals(1, gw.nextFinished().var(AiProxyMultiPlugin.VAR_ATTEMPTS));
        }
        assertEquals(chatsAtA, a.requests(MockLlm.Kind.CHAT).size() - probes(a), "no request went to the unhealthy instance");

        a.status(200);
        assertTrue(MockLlm.await(() -> Boolean.TRUE.equals(gw.plugin.health().healthy(topKey)), Duration.ofSeconds(10)),
                "a good probe brings it back");
        assertEquals("answer from a", content(gw.chat("/r0/v1/chat/completions", CHAT)));
        gw.nextFinished();

        gw.release(0);
        assertEquals(0, gw.plugin.health().probers(), "released with the last configuration using it");
        assertEquals(0, gw.plugin.health().size());
        long after = probes(a);
        Thread.sleep(1500); // longer than the probe interval: no probe may come any more
        assertEquals(after, probes(a));
    }

    private static String keyOf(JsonObject conf) {
        JsonObject top = conf.getJsonArray("instances").getJsonObject(0);
        return AiProxyMultiPlugin.healthKey(top, top.getJsonObject("checks"));
    }

    @Test
    void routesSharingAnInstanceShareOneProber() throws Exception {
        a.reset().content("answer from a");
        b.reset().content("answer from b");
        JsonObject r0 = conf(probed(inst("shared", a, 0, 1)));
        JsonObject sameKey = inst("same-instance-other-name", a, 3, 5);
        sameKey.put("auth", r0.getJsonArray("instances").getJsonObject(0).getJsonObject("auth").copy());
        JsonObject r1 = conf(probed(sameKey), inst("other", b, 0, 1));
        gw = new MultiPipeline(vertx, new AiProxyMultiPlugin(k -> null), r0, r1);
        assertEquals("answer from a", content(gw.chat("/r0/v1/chat/completions", CHAT)));
        gw.nextFinished();
        assertEquals("answer from a", content(gw.chat("/r1/v1/chat/completions", CHAT)));
        gw.nextFinished();
        assertEquals(1, gw.plugin.health().probers());
        assertEquals(2, gw.plugin.health().size(), "the shared instance and b");

        gw.release(0);
        assertEquals(1, gw.plugin.health().probers(), "still used by the other route");
        gw.release(1);
        assertEquals(0, gw.plugin.health().probers());
        assertFalse(gw.plugin.health().size() > 0);
    }
}
