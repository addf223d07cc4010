package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Waits until the data plane has applied the Admin API changes made so far, without sending a
 * request through the routes under test (that would count): a fresh probe route is written after
 * them, and changes reach the data plane in order, so once the probe is served, so are they.
 */
final class Probe {

    private static final AtomicInteger SERIAL = new AtomicInteger();

    private Probe() {
    }

    static void await(GatewayProcess gw, MockLlm upstream) {
        String id = "probe-" + SERIAL.incrementAndGet();
        JsonObject r = new JsonObject().put("uri", "/" + id)
                .put("plugins", new JsonObject().put("proxy-rewrite", new JsonObject().put("uri", "/plain")))
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(upstream.hostPort(), 1)));
        HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "PUT probe: " + put);
        assertTrue(MockLlm.await(() -> gw.http("GET", "/" + id, null).status() == 200, Duration.ofSeconds(10)),
                "changes not applied within 10 s");
        gw.admin("DELETE", "/routes/" + id, null);
    }

    /** Stops a gateway and deletes its temporary prefix (logs included). */
    static void close(GatewayProcess gw) {
        gw.close();
        try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(gw.prefix())) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
