package dev.aigw.t.aicache;

import dev.aigw.t.RedisGateways;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.aigw.t.aicache.CacheClient.aiProxy;
import static dev.aigw.t.aicache.CacheClient.chat;
import static dev.aigw.t.aicache.CacheClient.post;
import static dev.aigw.t.aicache.CacheClient.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ai-cache with {@code policy: redis}: two gateway processes on one Redis share entries in APISIX's
 * key layout, a burst spread over both makes one provider call, and a Redis that is down leaves
 * every request served (the cache skipped, logged once) until it is back.
 */
class AiCacheRedisTest {

    static MockLlm llm;
    static RedisProcess redis;
    static RedisGateways env;
    static List<GatewayProcess> gws;

    @BeforeAll
    static void start() throws Exception {
        env = RedisGateways.start(2, "aigw-t-ai-cache-redis-");
        llm = env.llm;
        redis = env.redis;
        gws = env.gateways;
    }

    @AfterAll
    static void stop() {
        if (env != null) {
            env.close();
        }
    }

    static JsonObject cache() {
        return new JsonObject().put("redis_host", "127.0.0.1").put("redis_port", redis.port()).put("redis_timeout", 3000);
    }

    /** The same route on both gateways (each has its own store); returns its uri. */
    static String fresh(String id) {
        String uri = "/" + id + "/v1/chat/completions";
        for (GatewayProcess gw : gws) {
            route(gw, id, uri, aiProxy(llm.url(), null), cache());
        }
        llm.reset();
        return uri;
    }

    /** How many Redis keys match a glob pattern, as RESP (":1"). */
    static String keys(String pattern) {
        return redis.command("EVAL", "return #redis.call('keys', ARGV[1])", "0", pattern);
    }

    @Test
    void twoGatewaysShareEntriesAndABurstMakesOneCall() throws Exception {
        String id = "r" + UUID.randomUUID().toString().substring(0, 8);
        String uri = fresh(id);
        String body = chat("gpt-4o", "q " + UUID.randomUUID(), false);
        HttpResult miss = post(gws.get(0), uri, body);
        assertEquals("MISS", miss.header("X-AI-Cache-Status"));
        // the entry is written once the answer has gone out (APISIX: log phase): wait for it, bounded
        String pattern = "ai-cache:l1:route=" + id + ":" + "?".repeat(64);
        assertTrue(MockLlm.await(() -> ":1".equals(keys(pattern)), Duration.ofSeconds(5)), "the entry reaches Redis");
        HttpResult hit = post(gws.get(1), uri, body);
        assertEquals("HIT", hit.header("X-AI-Cache-Status"), "the other node reads the entry");
        assertEquals(miss.body(), hit.body());
        assertEquals(1, llm.count(MockLlm.Kind.CHAT));
        // APISIX's key layout and envelope
        assertEquals(":1", keys(pattern));
        assertEquals("+json", redis.command("EVAL",
                "return {ok = cjson.decode(redis.call('get', redis.call('keys', ARGV[1])[1])).format}", "0",
                "ai-cache:l1:route=" + id + ":*"));

        // a burst of 50 over both nodes while the provider is slow: one call
        llm.reset();
        llm.headerDelay(Duration.ofMillis(1500));
        String burst = chat("gpt-4o", "burst " + UUID.randomUUID(), false);
        List<HttpResponse<String>> rs = CacheClient.burst(List.of(gws.get(0).url(""), gws.get(1).url("")), uri, burst, 50);
        for (HttpResponse<String> r : rs) {
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(rs.get(0).body(), r.body());
        }
        assertEquals(1, llm.count(MockLlm.Kind.CHAT), "one provider call for 50 requests on two nodes");
    }

    @Test
    void waitersOnTheOtherNodeAreAnsweredWhenTheLeaderFails() throws Exception {
        String uri = fresh("lf" + UUID.randomUUID().toString().substring(0, 6));
        llm.headerDelay(Duration.ofMillis(1500)).failNext(1, 500);
        String body = chat("gpt-4o", "q " + UUID.randomUUID(), false);
        List<HttpResponse<String>> rs = CacheClient.burst(List.of(gws.get(0).url(""), gws.get(1).url("")), uri, body, 10);
        assertEquals(1, rs.stream().filter(r -> r.statusCode() == 500).count(), "only the leader got the error");
        assertEquals(9, rs.stream().filter(r -> r.statusCode() == 200).count(), "every waiter was answered");
    }

    @Test
    void redisDownStillServes() {
        String uri = fresh("down" + UUID.randomUUID().toString().substring(0, 6));
        String body = chat("gpt-4o", "q " + UUID.randomUUID(), false);
        redis.stop();
        try {
            for (int i = 0; i < 3; i++) {
                HttpResult r = post(gws.get(0), uri, body);
                assertEquals(200, r.status(), r.toString());
            }
            assertEquals(3, llm.count(MockLlm.Kind.CHAT), "no cache: every request reached the provider");
            assertTrue(MockLlm.await(() -> gws.get(0).errorLog().contains("cache backend"), Duration.ofSeconds(10)));
            String log = gws.get(0).errorLog();
            assertEquals(log.indexOf("ai-cache: cache backend"), log.lastIndexOf("ai-cache: cache backend"),
                    "logged once per outage");
        } finally {
            redis.restart();
        }
        // back: the cache works again
        String again = chat("gpt-4o", "q " + UUID.randomUUID(), false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String status = "";
        while (System.nanoTime() - deadline < 0 && !"HIT".equals(status)) {
            status = post(gws.get(0), uri, again).header("X-AI-Cache-Status");
            dev.aigw.t.Pause.sleep(100);
        }
        assertEquals("HIT", status);
    }
}
