package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * etcd stopped and started again while a client sends requests: the gateway keeps serving the routes
 * it has (zero failed requests), and once etcd is back a new route PUT through the Admin API is
 * applied.
 */
class EtcdOutageTest extends StoreTestBase {

    @Override
    boolean useEtcd() {
        return true;
    }

    @Test
    void trafficSurvivesAnEtcdRestartAndLaterChangesApply() throws Exception {
        put("/routes/live", "{\"uri\":\"/live\",\"upstream\":" + upstream(0, "live") + "}");
        awaitServedBy("/live", "live");

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong requests = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Thread client = new Thread(() -> {
            while (running.get() && failures.size() < 20) {
                try {
                    HttpResult r = gw.http("GET", "/live", null);
                    if (r.status() != 200 || !"live".equals(r.header("X-Echo-Host"))) {
                        failures.add(r.toString());
                    }
                } catch (RuntimeException e) {
                    failures.add("request failed: " + e);
                }
                requests.incrementAndGet();
            }
        }, "outage-client");
        client.setDaemon(true);
        client.start();
        long duringOutage;
        try {
            sleep(300);
            etcd.stop();
            long before = requests.get();
            sleep(3000);
            duringOutage = requests.get() - before;
            etcd.restart();
            sleep(1000);
        } finally {
            running.set(false);
            client.join(30_000);
        }
        assertFalse(client.isAlive(), "client thread did not stop");
        assertEquals(List.of(), failures, "failed requests among " + requests.get());
        assertTrue(duringOutage > 0, "requests were served while etcd was down");

        // the Admin API may need a moment to reach etcd again: retry the PUT (bounded)
        await(() -> gw.admin("PUT", "/routes/after", "{\"uri\":\"/after\",\"upstream\":" + upstream(0, "after") + "}"),
                r -> r.status() == 201 || r.status() == 200, Duration.ofSeconds(30), "PUT after the etcd restart");
        await(() -> gw.http("GET", "/after", null), r -> "after".equals(r.header("X-Echo-Host")),
                Duration.ofSeconds(45), "the route PUT after the etcd restart is served");
        assertEquals("live", gw.http("GET", "/live", null).header("X-Echo-Host"), "the old route still works");
    }
}
