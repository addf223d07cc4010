package dev.aigw.t.metrics;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.EtcdProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With routes in etcd: etcd_reachable follows etcd, etcd_modify_indexes follows the writes. */
class PrometheusEtcdTest {

    private static final EtcdProcess ETCD = EtcdProcess.start();

    /** Generous: the machine these run on may be busy. */
    private static final Duration START = Duration.ofSeconds(60);

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .launch((b, m) -> b.startTimeout(START)).config(c -> c.etcd(ETCD.endpoint()));

    @AfterAll
    static void stopEtcd() {
        ETCD.close();
    }

    private static double gauge(Scrape s, String name, Map<String, String> labels) {
        return s.one(name, labels).value();
    }

    @Test
    void reachabilityAndModifyIndexes() {
        Scrape before = Scrape.of(ENV.gateway());
        assertEquals(1, gauge(before, "apisix_etcd_reachable", Map.of()));
        double index0 = gauge(before, "apisix_etcd_modify_indexes", Map.of("key", "max_modify_index"));

        HttpResult r = ENV.gateway().admin("PUT", "/routes/m1", new JsonObject().put("uri", "/m1")
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put("127.0.0.1:9", 1))).encode());
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Scrape after = Scrape.of(ENV.gateway());
        while (gauge(after, "apisix_etcd_modify_indexes", Map.of("key", "max_modify_index")) <= index0
                && System.nanoTime() - deadline < 0) {
            sleep(50);
            after = Scrape.of(ENV.gateway());
        }
        assertTrue(gauge(after, "apisix_etcd_modify_indexes", Map.of("key", "max_modify_index")) > index0,
                "the write moved the index");
        // per kind, as APISIX: the route write raised "routes" to the route's own modify index
        double routes = gauge(after, "apisix_etcd_modify_indexes", Map.of("key", "routes"));
        assertEquals(ENV.gateway().admin("GET", "/routes/m1", null).jsonObject().getLong("modifiedIndex").doubleValue(), routes,
                "routes index = the route's modifiedIndex");
        HttpResult u = ENV.gateway().admin("PUT", "/upstreams/u1", new JsonObject().put("type", "roundrobin")
                .put("nodes", new JsonObject().put("127.0.0.1:9", 1)).encode());
        assertTrue(u.status() == 200 || u.status() == 201, u.toString());
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Scrape later = Scrape.of(ENV.gateway());
        while (later.find("apisix_etcd_modify_indexes", Map.of("key", "upstreams")).isEmpty() && System.nanoTime() - deadline < 0) {
            sleep(50);
            later = Scrape.of(ENV.gateway());
        }
        assertTrue(gauge(later, "apisix_etcd_modify_indexes", Map.of("key", "upstreams")) > routes,
                "the upstream written after the route has the higher index");
        assertEquals(routes, gauge(later, "apisix_etcd_modify_indexes", Map.of("key", "routes")), "routes unchanged");

        ETCD.stop();
        // each scrape probes etcd (bounded to 3 s): the scrape still answers, with 0
        Scrape down = Scrape.of(ENV.gateway());
        assertEquals(0, gauge(down, "apisix_etcd_reachable", Map.of()));
        ETCD.restart();
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Scrape up = Scrape.of(ENV.gateway());
        while (gauge(up, "apisix_etcd_reachable", Map.of()) != 1 && System.nanoTime() - deadline < 0) {
            sleep(200);
            up = Scrape.of(ENV.gateway());
        }
        assertEquals(1, gauge(up, "apisix_etcd_reachable", Map.of()), "reachable again after the restart");
    }
}
