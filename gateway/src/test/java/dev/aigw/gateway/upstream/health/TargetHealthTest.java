package dev.aigw.gateway.upstream.health;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** lua-resty-healthcheck's counting, with APISIX's defaults. */
class TargetHealthTest {

    @Test
    void apisixDefaults() {
        ActiveCheck a = ActiveCheck.parse(new JsonObject());
        assertEquals(1000, a.timeoutMs());
        assertEquals(10, a.concurrency());
        assertEquals("/", a.httpPath());
        assertEquals(2, a.successes());
        assertEquals(5, a.httpFailures());
        assertEquals(2, a.tcpFailures());
        assertEquals(3, a.timeouts());
        assertEquals(ProbeResult.SUCCESS, a.classify(302));
        assertEquals(ProbeResult.HTTP_FAILURE, a.classify(404));
        assertEquals(ProbeResult.IGNORED, a.classify(418));
        PassiveCheck p = PassiveCheck.parse(new JsonObject());
        assertEquals(5, p.successes());
        assertEquals(7, p.timeouts());
        assertEquals(ProbeResult.SUCCESS, p.classify(204));
        assertEquals(ProbeResult.IGNORED, p.classify(502), "502 is not in APISIX's passive default list");
        assertEquals(ProbeResult.HTTP_FAILURE, p.classify(503));
    }

    @Test
    void consecutiveCountersFlipTheStateAndResetEachOther() {
        TargetHealth h = new TargetHealth("t", ActiveCheck.parse(new JsonObject()), null);
        for (int i = 0; i < 4; i++) {
            h.recordProbe(ProbeResult.HTTP_FAILURE);
        }
        h.recordProbe(ProbeResult.SUCCESS); // resets the http failures
        for (int i = 0; i < 4; i++) {
            h.recordProbe(ProbeResult.HTTP_FAILURE);
        }
        assertTrue(h.healthy(), "never 5 in a row");
        h.recordProbe(ProbeResult.HTTP_FAILURE);
        assertFalse(h.healthy());
        h.recordProbe(ProbeResult.SUCCESS);
        h.recordProbe(ProbeResult.TCP_FAILURE); // resets the successes
        h.recordProbe(ProbeResult.SUCCESS);
        assertFalse(h.healthy());
        h.recordProbe(ProbeResult.SUCCESS);
        assertTrue(h.healthy(), "2 successes in a row");
        h.recordProbe(ProbeResult.TIMEOUT);
        h.recordProbe(ProbeResult.TIMEOUT);
        assertTrue(h.healthy());
        h.recordProbe(ProbeResult.TIMEOUT);
        assertFalse(h.healthy(), "3 timeouts");
    }

    @Test
    void passiveReportsUseThePassiveThresholdsAndZeroTurnsAKindOff() {
        JsonObject passive = new JsonObject().put("unhealthy", new JsonObject()
                .put("http_statuses", new JsonArray().add(500)).put("http_failures", 2).put("tcp_failures", 0));
        TargetHealth h = new TargetHealth("t", ActiveCheck.parse(new JsonObject()), PassiveCheck.parse(passive));
        for (int i = 0; i < 10; i++) {
            h.reportFailure(false);
        }
        assertTrue(h.healthy(), "tcp_failures 0: refused connections do not count");
        h.reportStatus(500);
        h.reportStatus(404);
        assertTrue(h.healthy(), "404 is in neither list");
        h.reportStatus(500);
        assertFalse(h.healthy());
        TargetHealth noPassive = new TargetHealth("t", ActiveCheck.parse(new JsonObject()), null);
        for (int i = 0; i < 10; i++) {
            noPassive.reportStatus(500);
        }
        assertTrue(noPassive.healthy(), "without checks.passive answers do not count");
    }
}
