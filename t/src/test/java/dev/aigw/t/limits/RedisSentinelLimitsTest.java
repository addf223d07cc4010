package dev.aigw.t.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisSentinel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * limit-count with {@code policy: redis-sentinel} on a real Sentinel set-up (master, replica, one
 * Sentinel): the gateway finds the master through the Sentinel, and after the master is killed and
 * the Sentinel promotes the replica, counting resumes on the new master; during the gap
 * {@code allow_degradation} decides as with a single Redis that is away.
 */
class RedisSentinelLimitsTest {

    static MockLlm upstream;
    static RedisSentinel sentinel;
    static GatewayProcess gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = new MockLlm();
        upstream.respond("/plain", (req, rec) -> req.response().end("ok"));
        sentinel = RedisSentinel.start("aigw-master");
        gw = GatewayProcess.builder(Files.createTempDirectory("aigw-t-sentinel-")).startTimeout(Duration.ofSeconds(90))
                .config(GatewayConfig.create()).start();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            Probe.close(gw);
        }
        if (sentinel != null) {
            sentinel.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** APISIX's redis-sentinel fields. */
    static JsonObject conf(int count) {
        return new JsonObject().put("count", count).put("time_window", 60).put("policy", "redis-sentinel")
                .put("redis_sentinels", new JsonArray().add(new JsonObject().put("host", "127.0.0.1")
                        .put("port", sentinel.sentinel().port())))
                .put("redis_master_name", sentinel.masterName()).put("redis_connect_timeout", 1000)
                .put("redis_read_timeout", 2000);
    }

    static void route(String id, JsonObject conf) {
        JsonObject r = new JsonObject().put("uri", "/" + id + "/plain")
                .put("plugins", new JsonObject().put("limit-count", conf)
                        .put("proxy-rewrite", new JsonObject().put("uri", "/plain")))
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(upstream.hostPort(), 1)));
        HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
        Probe.await(gw, upstream);
    }

    static HttpResult get(String id) {
        return gw.http("GET", "/" + id + "/plain", null);
    }

    @Test
    void findsTheMasterThroughTheSentinelAndResumesAfterAFailover() {
        route("sen", conf(3));
        HttpResult r1 = get("sen");
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("3", r1.header("X-RateLimit-Limit"));
        assertEquals("2", r1.header("X-RateLimit-Remaining"));
        assertEquals("1", get("sen").header("X-RateLimit-Remaining"));
        String keys = sentinel.master().query("KEYS", "plugin-limit-count:v1:/apisix/routes/sen:*");
        assertEquals(1, keys.lines().count(), "the counter is on the master the Sentinel names: " + keys);

        route("strict", conf(100));
        route("lenient", conf(100).put("allow_degradation", true));
        assertEquals("99", get("strict").header("X-RateLimit-Remaining"));
        assertEquals("99", get("lenient").header("X-RateLimit-Remaining"));

        assertTrue(sentinel.awaitReplicated(), "the replica has the counters before the master goes");
        int oldMaster = sentinel.master().port();
        sentinel.master().stop();
        // the gap: the Sentinel declares the master down only after a second, and names it until it has
        // promoted the replica; the requests' outcome belongs to the gap only if it still named it after them
        HttpResult s = get("strict");
        HttpResult l = get("lenient");
        if (sentinel.masterPortBySentinel() == oldMaster) {
            assertEquals(500, s.status(), s.toString());
            assertEquals("failed to limit count", s.jsonObject().getString("error_msg"));
            assertEquals(200, l.status(), "allow_degradation lets traffic through while there is no master");
            assertNull(l.header("X-RateLimit-Limit"), "no counter answered");
        }
        sentinel.failover();
        assertTrue(sentinel.masterPortBySentinel() != oldMaster, "the replica was promoted");

        assertTrue(MockLlm.await(() -> get("strict").status() == 200, Duration.ofSeconds(20)),
                "the gateway finds the new master through the Sentinel");
        HttpResult after = get("sen");
        assertEquals(200, after.status(), after.toString());
        assertEquals("0", after.header("X-RateLimit-Remaining"), "counting resumes where the replica had it");
        assertEquals(503, get("sen").status());
        assertTrue(sentinel.master().query("KEYS", "plugin-limit-count:v1:/apisix/routes/sen:*").lines().count() == 1,
                "the counter lives on the new master");
    }

    /**
     * APISIX's {@code redis_password} is the master's, {@code sentinel_password} the Sentinel's: each
     * connection authenticates with its own, whether the Sentinel has a password or not.
     */
    @Test
    void masterAndSentinelEachWithTheirOwnPassword() {
        try (RedisSentinel secured = RedisSentinel.start("aigw-secured", "m-secret", "s-secret");
             RedisSentinel masterOnly = RedisSentinel.start("aigw-master-only", "m-secret", null)) {
            int i = 0;
            for (RedisSentinel set : new RedisSentinel[] {secured, masterOnly}) {
                String id = "pw" + i++;
                JsonObject c = new JsonObject().put("count", 2).put("time_window", 60).put("policy", "redis-sentinel")
                        .put("redis_sentinels", new JsonArray().add(new JsonObject().put("host", "127.0.0.1")
                                .put("port", set.sentinel().port())))
                        .put("redis_master_name", set.masterName()).put("redis_password", "m-secret");
                if (set == secured) {
                    c.put("sentinel_password", "s-secret");
                }
                route(id, c);
                HttpResult r1 = get(id);
                assertEquals(200, r1.status(), set.masterName() + ": " + r1);
                assertEquals("1", r1.header("X-RateLimit-Remaining"), set.masterName());
                assertEquals(1, set.master().query("KEYS", "plugin-limit-count:v1:/apisix/routes/" + id + ":*")
                        .lines().count(), set.masterName() + ": the counter is on the master");
                // a wrong master password is refused by the master, not silently ignored
                route(id + "-bad", c.copy().put("redis_password", "wrong"));
                HttpResult bad = get(id + "-bad");
                assertEquals(500, bad.status(), set.masterName() + ": " + bad);
                assertTrue(!gw.errorLog().contains("m-secret") && !gw.errorLog().contains("s-secret"),
                        "no password in the error log");
            }
        }
    }
}
