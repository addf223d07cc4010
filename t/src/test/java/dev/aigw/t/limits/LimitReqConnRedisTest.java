package dev.aigw.t.limits;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.Ports;
import dev.aigw.testkit.RedisProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * limit-req and limit-conn with {@code policy: redis}: two gateway processes (each with its own
 * store, as nodes behind a load balancer) share one bucket and one in-flight count in a real Redis,
 * which the local policy could not; a Redis that cannot be reached answers 500, or lets traffic
 * through with {@code allow_degradation}.
 */
class LimitReqConnRedisTest {

    static MockLlm mock;
    static RedisProcess redis;
    static final List<GatewayProcess> gws = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        mock = new MockLlm();
        redis = RedisProcess.start();
        List<CompletableFuture<GatewayProcess>> starting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return GatewayProcess.builder(Files.createTempDirectory("aigw-t-lrc-"))
                            .startTimeout(Duration.ofSeconds(120)).config(GatewayConfig.create().builtinStore()).start();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<GatewayProcess> f : starting) {
            gws.add(f.get(150, TimeUnit.SECONDS));
        }
    }

    @AfterAll
    static void stop() {
        gws.forEach(Probe::close);
        if (redis != null) {
            redis.close();
        }
        if (mock != null) {
            mock.close();
        }
    }

    static JsonObject redisPolicy(int port) {
        return new JsonObject().put("policy", "redis").put("redis_host", "127.0.0.1").put("redis_port", port)
                .put("redis_timeout", 3000);
    }

    /** The same route on both nodes, to the mock; waits (bounded) until each serves it. */
    static void route(String id, String plugin, JsonObject conf) {
        JsonObject r = new JsonObject().put("uri", "/" + id + "/*").put("plugins", new JsonObject().put(plugin, conf))
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(mock.hostPort(), 1)));
        for (GatewayProcess gw : gws) {
            HttpResult put = gw.admin("PUT", "/routes/" + id, r.encode());
            assertTrue(put.status() == 200 || put.status() == 201, "PUT: " + put);
            assertTrue(MockLlm.await(() -> gw.http("GET", "/" + id + "/v1/models", null).status() != 404,
                    Duration.ofSeconds(10)), "route " + id + " live");
        }
    }

    /** Requests in flight in Redis on the limit_conn keys of {@code route}, summed over its keys. */
    static long inFlight(String route) {
        long n = 0;
        for (String k : cli("KEYS", "limit_conn:*").split("\n")) {
            if (k.contains(route)) {
                n += Long.parseLong(cli("ZCARD", k.trim()).trim());
            }
        }
        return n;
    }

    /** redis-cli's raw answer (one value per line). */
    static String cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(redis.port())));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "redis-cli finished");
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResult chat(GatewayProcess gw, String id, String... headers) {
        return gw.http("POST", "/" + id + "/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", headers);
    }

    @Test
    void limitReqBucketIsSharedByTheNodes() {
        // one request per 100 s and a burst of one (nodelay): two pass, the third is refused, whichever
        // node it reaches. The key lives burst/rate + 1 s as APISIX sets it: long enough not to race.
        route("lreq", "limit-req", redisPolicy(redis.port()).put("rate", 0.01).put("burst", 1)
                .put("key", "remote_addr").put("rejected_msg", "slow down").put("nodelay", true));
        for (String k : cli("KEYS", "limit_req:*").split("\n")) {
            if (!k.isBlank()) {
                cli("DEL", k.trim()); // the route probes used the bucket
            }
        }
        assertEquals(200, chat(gws.get(0), "lreq").status());
        assertEquals(200, chat(gws.get(0), "lreq").status(), "within the burst");
        HttpResult other = chat(gws.get(1), "lreq");
        assertEquals(503, other.status(), "the other node sees the same bucket: " + other);
        assertEquals("slow down", other.jsonObject().getString("error_msg"));
        assertTrue(cli("KEYS", "limit_req:*").contains("limit_req:/apisix/routes/lreq:"), "APISIX's key layout");
    }

    @Test
    void limitConnCountsRequestsInFlightAcrossTheNodes() throws Exception {
        route("lconn", "limit-conn", redisPolicy(redis.port()).put("conn", 1).put("burst", 0)
                .put("default_conn_delay", 0.1).put("key", "remote_addr"));
        // the route probes were requests too: each leaves the set by a Redis call made as its answer ends
        assertTrue(MockLlm.await(() -> inFlight("lconn") == 0, Duration.ofSeconds(10)), "the probes left the set");
        CompletableFuture<HttpResult> slow = CompletableFuture.supplyAsync(
                () -> chat(gws.get(0), "lconn", "X-Mock-Delay-Ms", "3000"));
        assertTrue(MockLlm.await(() -> inFlight("lconn") == 1, Duration.ofSeconds(10)),
                () -> "the slow request is counted in Redis: keys " + cli("KEYS", "limit_conn:*").trim()
                        + ", in flight " + inFlight("lconn") + ", the slow request "
                        + (slow.isDone() ? slow.join() : "not answered yet"));
        HttpResult refused = chat(gws.get(1), "lconn");
        assertEquals(503, refused.status(), "one in flight on the other node: " + refused);
        assertEquals(200, slow.get(30, TimeUnit.SECONDS).status());
        assertTrue(MockLlm.await(() -> inFlight("lconn") == 0, Duration.ofSeconds(10)),
                () -> "the finished request left the set: keys " + cli("KEYS", "limit_conn:*").trim());
        assertEquals(200, chat(gws.get(1), "lconn").status(), "room again");
    }

    @Test
    void unreachableRedisFollowsAllowDegradation() {
        int closed = Ports.free();
        route("lreqdown", "limit-req", redisPolicy(closed).put("rate", 100).put("burst", 10).put("key", "remote_addr"));
        route("lconndown", "limit-conn", redisPolicy(closed).put("conn", 10).put("burst", 0)
                .put("default_conn_delay", 0.1).put("key", "remote_addr").put("allow_degradation", true));
        assertEquals(500, chat(gws.get(0), "lreqdown").status());
        assertEquals(200, chat(gws.get(0), "lconndown").status());
        assertTrue(gws.get(0).awaitLog("failed to limit req", Duration.ofSeconds(5)));
        assertTrue(gws.get(0).awaitLog("failed to limit conn", Duration.ofSeconds(5)));
    }
}
