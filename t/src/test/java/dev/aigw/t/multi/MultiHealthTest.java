package dev.aigw.t.multi;

import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.MockLlm.Kind;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.aigw.t.multi.MultiEnv.conf;
import static dev.aigw.t.multi.MultiEnv.inst;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Priority groups with passive health (fallback and recovery) and an active probe taking an instance out and back. */
class MultiHealthTest {

    @RegisterExtension
    static final MultiEnv env = new MultiEnv();

    MockLlm hi;
    MockLlm lo;
    private final AtomicInteger serial = new AtomicInteger();

    @BeforeEach
    void mocks() {
        hi = new MockLlm().content("answer from hi");
        lo = new MockLlm().content("answer from lo");
    }

    @AfterEach
    void close() {
        hi.close();
        lo.close();
    }

    private String tag(String prefix) {
        return prefix + "-" + serial.incrementAndGet();
    }

    /** Client requests (not probes) that reached a mock. */
    private static long calls(MockLlm m) {
        return m.requests(Kind.CHAT).stream().filter(r -> !"probe-model".equals(r.json().getString("model"))).count();
    }

    private static long probes(MockLlm m) {
        return m.requests(Kind.CHAT).stream().filter(r -> "probe-model".equals(r.json().getString("model"))).count();
    }

    @Test
    void priorityFallbackAndRecovery() {
        JsonObject passive = new JsonObject().put("passive", new JsonObject()
                .put("unhealthy", new JsonObject().put("failures", 1)).put("cooldown", 1));
        env.route("prio", conf(inst("hi", hi, 10, 1).put("checks", passive), inst("lo", lo, 0, 100)));

        // healthy: the higher priority takes everything, whatever the weights
        for (int i = 0; i < 10; i++) {
            assertEquals("answer from hi", env.chat("prio", tag("prio-up")));
        }
        assertEquals(0, lo.count(Kind.CHAT));

        // hi fails: the request falls back to lo, and hi is out (not even tried) for the next ones
        hi.status(500);
        assertEquals("answer from lo", env.chat("prio", "prio-fail"));
        MultiEnv.LogLine failed = env.log("prio-fail");
        assertEquals("lo", failed.instance());
        assertEquals("2", failed.attempts());
        assertEquals(11, hi.count(Kind.CHAT));
        assertEquals("answer from lo", env.chat("prio", "prio-out"));
        assertEquals("1", env.log("prio-out").attempts(), "hi is out: lo answers at once");
        assertEquals(11, hi.count(Kind.CHAT));

        // hi recovers: after the cool-down it is tried again, and keeps the traffic
        hi.status(200);
        boolean back = MockLlm.await(() -> env.chat("prio", tag("prio-wait")).equals("answer from hi"),
                Duration.ofSeconds(10));
        assertTrue(back, "hi never came back");
        for (int i = 0; i < 5; i++) {
            String t = tag("prio-back");
            assertEquals("answer from hi", env.chat("prio", t));
            assertEquals("1", env.log(t).attempts());
        }
    }

    @Test
    void activeHealthCheckTakesAnInstanceOutAndBack() {
        // only the probe decides: passive checks would need 254 failures in a row
        JsonObject checks = new JsonObject()
                .put("active", new JsonObject()
                        .put("health_check_model", "probe-model")
                        .put("timeout", 1)
                        .put("healthy", new JsonObject().put("interval", 1).put("successes", 1))
                        .put("unhealthy", new JsonObject().put("interval", 1).put("http_failures", 1)))
                .put("passive", new JsonObject().put("unhealthy", new JsonObject().put("failures", 254)));
        env.route("active", conf(inst("hi", hi, 10, 1).put("checks", checks), inst("lo", lo, 0, 1)));
        assertEquals("answer from hi", env.chat("active", tag("active-up")));
        assertTrue(MockLlm.await(() -> probes(hi) >= 1, Duration.ofSeconds(10)), "hi is probed");
        assertEquals(0, probes(lo), "lo has no active check");

        // hi answers 500 to everything: the probe takes it out, requests go to lo without trying hi
        hi.status(500);
        boolean out = MockLlm.await(() -> {
            String t = tag("active-wait-out");
            env.chat("active", t);
            return env.log(t).attempts().equals("1") && env.log(t).instance().equals("lo");
        }, Duration.ofSeconds(10));
        assertTrue(out, "the probe never took hi out");
        long hiCalls = calls(hi);
        for (int i = 0; i < 5; i++) {
            String t = tag("active-out");
            assertEquals("answer from lo", env.chat("active", t));
            assertEquals("1", env.log(t).attempts());
        }
        assertEquals(hiCalls, calls(hi), "no request tries hi while it is out");

        // hi is fine again: a probe brings it back
        long probesBefore = probes(hi);
        hi.status(200);
        boolean back = MockLlm.await(() -> env.chat("active", tag("active-wait-back")).equals("answer from hi"),
                Duration.ofSeconds(10));
        assertTrue(back, "the probe never brought hi back");
        assertTrue(probes(hi) > probesBefore, "a probe brought it back, not a request");
        String t = tag("active-back");
        assertEquals("answer from hi", env.chat("active", t));
        assertEquals("1", env.log(t).attempts());
    }
}
