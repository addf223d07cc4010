package dev.aigw.t.aicache;

import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static dev.aigw.t.aicache.CacheClient.aiProxy;
import static dev.aigw.t.aicache.CacheClient.chat;
import static dev.aigw.t.aicache.CacheClient.post;
import static dev.aigw.t.aicache.CacheClient.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ai-cache with the in-process backend on one gateway: hit after miss, stream replay, coalescing of
 * a burst, a failing leader, bypass and TTL headers, what the key separates, what is never stored.
 */
class AiCacheTest {

    static MockLlm llm;
    static GatewayProcess gw;

    @BeforeAll
    static void start() throws Exception {
        llm = new MockLlm();
        gw = GatewayProcess.builder(Files.createTempDirectory("aigw-t-ai-cache-")).startTimeout(Duration.ofSeconds(90))
                .config(GatewayConfig.create().set("nginx_config.http.access_log_format",
                        "AICACHE $http_x_tag $status $cache_status $llm_prompt_tokens $llm_completion_tokens")
                        .set("plugin_attr.prometheus.metric_prefix", PREFIX)).start();
        // the ai_cache_* counters are the prometheus plugin's (APISIX's): on for every route
        HttpResult rule = gw.admin("PUT", "/global_rules/ai-cache-metrics",
                new JsonObject().put("plugins", new JsonObject().put("prometheus", new JsonObject())).encode());
        assertTrue(rule.status() == 200 || rule.status() == 201, rule.toString());
    }

    /** A metric prefix of its own: the cache counters follow plugin_attr.prometheus.metric_prefix. */
    static final String PREFIX = "aigwt_";

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (llm != null) {
            llm.close();
        }
    }

    @BeforeEach
    void reset() {
        llm.reset();
    }

    /** A fresh route (own id and uri) with ai-proxy and ai-cache; returns its uri. */
    static String fresh(JsonObject options, JsonObject aiCache) {
        String id = "c" + UUID.randomUUID().toString().substring(0, 8);
        String uri = "/" + id + "/v1/chat/completions";
        route(gw, id, uri, aiProxy(llm.url(), options), aiCache);
        llm.reset();
        return uri;
    }

    static String q() {
        return "question " + UUID.randomUUID();
    }

    @Test
    void secondIdenticalRequestIsAHitWithoutCallingTheProvider() {
        String uri = fresh(new JsonObject().put("model", "gpt-4o-mini"), new JsonObject());
        String body = chat("whatever", q(), false);
        HttpResult first = post(gw, uri, body, "X-Tag", "hm1");
        assertEquals(200, first.status(), first.toString());
        assertEquals("MISS", first.header("X-AI-Cache-Status"));
        assertNull(first.header("X-AI-Cache-Age"));
        HttpResult second = post(gw, uri, body, "X-Tag", "hm2");
        assertEquals(200, second.status());
        assertEquals("HIT", second.header("X-AI-Cache-Status"));
        assertNotNull(second.header("X-AI-Cache-Age"));
        assertTrue(Long.parseLong(second.header("X-AI-Cache-Age")) >= 0);
        assertEquals(first.body(), second.body(), "the stored answer, byte for byte");
        assertTrue(second.header("Content-Type").startsWith("application/json"));
        assertEquals(1, llm.count(MockLlm.Kind.CHAT), "one provider call for two requests");

        // the access log: cache_status, and a hit spends no provider tokens
        assertTrue(MockLlm.await(() -> gw.accessLog().contains("AICACHE hm1 ")
                && gw.accessLog().contains("AICACHE hm2 "), Duration.ofSeconds(10)));
        String miss = line("hm1");
        String hit = line("hm2");
        assertEquals("AICACHE hm1 200 MISS 23 7", miss);
        assertEquals("AICACHE hm2 200 HIT 0 0", hit);

        // a bypass, counted as such
        HttpResult skipped = post(gw, uri, body, "X-Tag", "hm3", "X-AI-Cache-Skip", "true");
        assertEquals("BYPASS", skipped.header("X-AI-Cache-Status"));
        assertTrue(MockLlm.await(() -> gw.accessLog().contains("AICACHE hm3 "), Duration.ofSeconds(10)));
        assertEquals("AICACHE hm3 200 BYPASS 23 7", line("hm3"), "a bypass pays the provider");

        // APISIX's metric names, under the configured prefix, counted by the prometheus plugin
        String id = uri.split("/")[1];
        HttpResult scrape = gw.send("GET", "http://127.0.0.1:" + gw.config().metricsPort() + "/apisix/prometheus/metrics",
                null, java.util.Map.of());
        assertEquals(200, scrape.status(), scrape.toString());
        String metrics = scrape.body();
        assertEquals(1, value(metrics, PREFIX + "ai_cache_hits_total", id, "layer=\"exact\""), metrics);
        assertEquals(1, value(metrics, PREFIX + "ai_cache_misses_total", id, null), metrics);
        assertEquals(1, value(metrics, PREFIX + "ai_cache_bypasses_total", id, null), metrics);
        assertTrue(metrics.lines().noneMatch(l -> l.startsWith("apisix_ai_cache")), "the configured prefix only");
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith(PREFIX + "llm_prompt_tokens{") && l.contains(id)
                && l.endsWith(" 46.0")), "provider tokens: the miss and the bypass (23 each), none for the hit");
    }

    /** The value of the one series of {@code metric} with {@code route_id="<routeId>"} (and {@code label}), or -1. */
    static double value(String metrics, String metric, String routeId, String label) {
        return metrics.lines().filter(l -> l.startsWith(metric + "{") && l.contains("route_id=\"" + routeId + "\"")
                        && (label == null || l.contains(label)))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }

    static String line(String tag) {
        return gw.accessLogLines().stream().filter(l -> l.startsWith("AICACHE " + tag + " ")).findFirst().orElseThrow();
    }

    @Test
    void aStreamedHitReplaysTheSameEvents() {
        String uri = fresh(null, new JsonObject());
        String body = chat("gpt-4o", q(), true);
        HttpResult first = post(gw, uri, body);
        assertEquals(200, first.status());
        assertEquals("MISS", first.header("X-AI-Cache-Status"));
        assertTrue(first.body().contains("data: [DONE]"), first.body());
        HttpResult second = post(gw, uri, body);
        assertEquals("HIT", second.header("X-AI-Cache-Status"));
        assertTrue(second.header("Content-Type").startsWith("text/event-stream"));
        // the mock's ids and timestamps are new on every call: equal bodies are the replay
        assertEquals(events(first.body()), events(second.body()));
        assertTrue(events(second.body()).size() >= 6, "role, content chunks, finish, [DONE]");
        assertEquals(1, llm.count(MockLlm.Kind.CHAT));

        // the same prompt without streaming is another entry: a JSON client never gets a stream
        HttpResult json = post(gw, uri, chat("gpt-4o", new JsonObject(body).getJsonArray("messages")
                .getJsonObject(0).getString("content"), false));
        assertEquals("MISS", json.header("X-AI-Cache-Status"));
        assertTrue(json.header("Content-Type").startsWith("application/json"));
    }

    @Test
    void anAnthropicStreamTranslatedFromOpenAiIsReplayedAsTheClientSawIt() {
        String id = "a" + UUID.randomUUID().toString().substring(0, 8);
        route(gw, id, "/" + id + "/*", aiProxy(llm.url(), null), new JsonObject());
        llm.reset();
        String body = new JsonObject().put("model", "claude-sonnet-4-5").put("max_tokens", 256).put("stream", true)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", q()))).encode();
        HttpResult first = post(gw, "/" + id + "/v1/messages", body);
        assertEquals(200, first.status(), first.toString());
        assertEquals("MISS", first.header("X-AI-Cache-Status"));
        assertTrue(first.body().contains("event: message_stop"), first.body());
        HttpResult second = post(gw, "/" + id + "/v1/messages", body);
        assertEquals("HIT", second.header("X-AI-Cache-Status"));
        assertEquals(events(first.body()), events(second.body()), "Anthropic events, as translated the first time");
        assertEquals(1, llm.count(MockLlm.Kind.CHAT));
    }

    @Test
    void worksBehindAiProxyMulti() {
        String id = "m" + UUID.randomUUID().toString().substring(0, 8);
        String uri = "/" + id + "/v1/chat/completions";
        JsonObject multi = new JsonObject().put("instances", new JsonArray()
                .add(new JsonObject().put("name", "one").put("provider", "openai-compatible").put("weight", 1)
                        .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-1")))
                        .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions")))
                .add(new JsonObject().put("name", "two").put("provider", "openai-compatible").put("weight", 1)
                        .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-2")))
                        .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions"))));
        HttpResult r = gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", uri).put("plugins",
                new JsonObject().put("ai-proxy-multi", multi).put("ai-cache", new JsonObject())).encode());
        assertEquals(201, r.status(), r.toString());
        String body = chat("gpt-4o", q(), false);
        assertTrue(MockLlm.await(() -> post(gw, uri, body).status() == 200, Duration.ofSeconds(10)));
        assertEquals("HIT", post(gw, uri, body).header("X-AI-Cache-Status"));
        assertEquals(1, llm.count(MockLlm.Kind.CHAT));
    }

    @Test
    void withoutAiProxyFailModeDecides() {
        String id = "f" + UUID.randomUUID().toString().substring(0, 8);
        HttpResult r = gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", "/" + id)
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(llm.hostPort(), 1)))
                .put("plugins", new JsonObject().put("ai-cache", new JsonObject().put("fail_mode", "error"))).encode());
        assertEquals(201, r.status(), r.toString());
        assertTrue(MockLlm.await(() -> post(gw, "/" + id, "{}").status() == 500, Duration.ofSeconds(10)));
        assertTrue(post(gw, "/" + id, "{}").body().contains("ai-cache must be used with the ai-proxy or ai-proxy-multi plugin"));
    }

    static List<String> events(String sse) {
        return List.of(sse.strip().split("\n\n"));
    }

    @Test
    void fiftyConcurrentIdenticalRequestsMakeOneProviderCall() throws Exception {
        String uri = fresh(null, new JsonObject());
        llm.headerDelay(Duration.ofMillis(1500));
        String body = chat("gpt-4o", q(), false);
        List<HttpResponse<String>> rs = CacheClient.burst(List.of(gw.url("")), uri, body, 50);
        String expected = rs.get(0).body();
        int hits = 0;
        for (HttpResponse<String> r : rs) {
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(expected, r.body());
            hits += "HIT".equals(r.headers().firstValue("X-AI-Cache-Status").orElse("")) ? 1 : 0;
        }
        assertEquals(1, llm.count(MockLlm.Kind.CHAT), "one upstream call for the burst");
        assertEquals(49, hits, "the others were answered from the first one's answer");
    }

    @Test
    void waitersOfAFailingLeaderAreStillAnswered() throws Exception {
        String uri = fresh(null, new JsonObject());
        llm.headerDelay(Duration.ofMillis(1500)).failNext(1, 500);
        String body = chat("gpt-4o", q(), false);
        List<HttpResponse<String>> rs = CacheClient.burst(List.of(gw.url("")), uri, body, 10);
        long ok = rs.stream().filter(r -> r.statusCode() == 200).count();
        long failed = rs.stream().filter(r -> r.statusCode() == 500).count();
        assertEquals(1, failed, "only the leader got the provider's error");
        assertEquals(9, ok, "every waiter was answered");
        // the error was not stored: the next request is answered from a successful call
        HttpResult next = post(gw, uri, body);
        assertEquals(200, next.status());
        assertEquals("HIT", next.header("X-AI-Cache-Status"));
    }

    @Test
    void bypassAndTtlHeaders() {
        String uri = fresh(null, new JsonObject().put("bypass_on", new JsonArray()
                .add(new JsonObject().put("header", "X-No-Cache").put("equals", "1"))));
        String body = chat("gpt-4o", q(), false);
        assertEquals("MISS", post(gw, uri, body).header("X-AI-Cache-Status"));
        HttpResult skipped = post(gw, uri, body, "X-AI-Cache-Skip", "true");
        assertEquals("BYPASS", skipped.header("X-AI-Cache-Status"));
        HttpResult rule = post(gw, uri, body, "X-No-Cache", "1");
        assertEquals("BYPASS", rule.header("X-AI-Cache-Status"));
        assertEquals(3, llm.count(MockLlm.Kind.CHAT), "bypasses call the provider");
        assertNull(llm.lastRequest().header("X-AI-Cache-Skip"), "the gateway's controls are not forwarded");
        assertEquals("HIT", post(gw, uri, body).header("X-AI-Cache-Status"));

        // a per-request TTL of one second: gone after it
        String short1 = chat("gpt-4o", q(), false);
        assertEquals("MISS", post(gw, uri, short1, "X-AI-Cache-TTL", "1").header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, uri, short1).header("X-AI-Cache-Status"));
        Pause.sleep(2200);
        assertEquals("MISS", post(gw, uri, short1).header("X-AI-Cache-Status"));

        // a client's own key: different prompts, one entry
        String k = "faq-" + UUID.randomUUID();
        assertEquals("MISS", post(gw, uri, chat("gpt-4o", q(), false), "X-AI-Cache-Key", k).header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, uri, chat("gpt-4o", q(), false), "X-AI-Cache-Key", k).header("X-AI-Cache-Status"));
    }

    @Test
    void keysDifferByModelOptionsVarsAndRoute() {
        JsonObject cache = new JsonObject();
        String uri = fresh(null, cache);
        String question = q();
        assertEquals("MISS", post(gw, uri, chat("model-a", question, false)).header("X-AI-Cache-Status"));
        assertEquals("MISS", post(gw, uri, chat("model-b", question, false)).header("X-AI-Cache-Status"));
        JsonObject withTemp = new JsonObject(chat("model-a", question, false)).put("temperature", 0.2);
        assertEquals("MISS", post(gw, uri, withTemp.encode()).header("X-AI-Cache-Status"), "a parameter differs");
        assertEquals("HIT", post(gw, uri, chat("model-a", question, false)).header("X-AI-Cache-Status"));

        // another route: its own entries, unless both share
        String other = fresh(null, cache);
        assertEquals("MISS", post(gw, other, chat("model-a", question, false)).header("X-AI-Cache-Status"));
        JsonObject shared = new JsonObject().put("cache_key", new JsonObject().put("share_across_routes", true));
        String s1 = fresh(new JsonObject().put("model", "m1"), shared);
        String s2 = fresh(new JsonObject().put("model", "m1"), shared);
        String s3 = fresh(new JsonObject().put("model", "m1").put("temperature", 0), shared);
        String q2 = q();
        assertEquals("MISS", post(gw, s1, chat(null, q2, false)).header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, s2, chat(null, q2, false)).header("X-AI-Cache-Status"), "shared across routes");
        assertEquals("MISS", post(gw, s3, chat(null, q2, false)).header("X-AI-Cache-Status"),
                "the route's options change the effective request");

        // include_vars: one tenant never reads another tenant's answers
        String tenant = fresh(null, new JsonObject().put("cache_key",
                new JsonObject().put("include_vars", new JsonArray().add("http_x_tenant"))));
        String q3 = q();
        assertEquals("MISS", post(gw, tenant, chat("m", q3, false), "X-Tenant", "a").header("X-AI-Cache-Status"));
        assertEquals("MISS", post(gw, tenant, chat("m", q3, false), "X-Tenant", "b").header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, tenant, chat("m", q3, false), "X-Tenant", "a").header("X-AI-Cache-Status"));
    }

    @Test
    void includeConsumerKeepsConsumersApartAndLoggersSeeTheStatus() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8).replace("-", "");
        String alice = "alice_" + suffix;
        String bob = "bob_" + suffix;
        for (String user : List.of(alice, bob)) {
            HttpResult c = gw.admin("PUT", "/consumers", new JsonObject().put("username", user).put("plugins",
                    new JsonObject().put("key-auth", new JsonObject().put("key", user + "-key"))).encode());
            assertTrue(c.status() == 200 || c.status() == 201, c.toString());
        }
        String log = "logs/ai-cache-" + suffix + ".log";
        String perConsumer = authRoute("pc" + suffix, new JsonObject().put("cache_key",
                new JsonObject().put("include_consumer", true)), log, alice + "-key");
        String shared = authRoute("sh" + suffix, new JsonObject(), null, alice + "-key");

        // include_consumer: each consumer has its own entries, even for the same prompt on the same route
        String question = q();
        String body = chat("gpt-4o", question, false);
        assertEquals("MISS", post(gw, perConsumer, body, "apikey", alice + "-key").header("X-AI-Cache-Status"));
        assertEquals("MISS", post(gw, perConsumer, body, "apikey", bob + "-key").header("X-AI-Cache-Status"),
                "alice's answer is never served to bob");
        assertEquals("HIT", post(gw, perConsumer, body, "apikey", alice + "-key").header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, perConsumer, body, "apikey", bob + "-key").header("X-AI-Cache-Status"));
        assertEquals(2, llm.count(MockLlm.Kind.CHAT), "one provider call per consumer");

        // without include_consumer, consumers of one route share its entries
        llm.reset();
        assertEquals("MISS", post(gw, shared, body, "apikey", alice + "-key").header("X-AI-Cache-Status"));
        assertEquals("HIT", post(gw, shared, body, "apikey", bob + "-key").header("X-AI-Cache-Status"));
        assertEquals(1, llm.count(MockLlm.Kind.CHAT));

        // the loggers' entries (file-logger here): cache_status, and on a hit the original call's usage
        java.nio.file.Path file = gw.prefix().resolve(log);
        List<JsonObject> entries = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (entries.size() < 4 && System.nanoTime() - deadline < 0) {
            Pause.sleep(100);
            entries = Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank())
                    .map(JsonObject::new).filter(e -> e.getJsonObject("response").getInteger("status") == 200)
                    .toList() : List.of(); // not the readiness probe (a 400 from ai-proxy)
        }
        assertEquals(4, entries.size(), entries.toString());
        // keyed by what each entry says, not by its place: log phases on two event loops may
        // write in either order
        java.util.Map<String, JsonObject> byOutcome = new java.util.TreeMap<>();
        for (JsonObject e : entries) {
            byOutcome.put(e.getString("cache_status") + " " + e.getJsonObject("consumer").getString("username"), e);
        }
        assertEquals(java.util.Set.of("MISS " + alice, "MISS " + bob, "HIT " + alice, "HIT " + bob),
                byOutcome.keySet(), entries.toString());
        assertNull(byOutcome.get("MISS " + alice).getValue("llm_cached_usage"), "a miss paid for its own tokens");
        JsonObject cached = byOutcome.get("HIT " + bob).getJsonObject("llm_cached_usage");
        assertNotNull(cached, byOutcome.get("HIT " + bob).encode());
        assertEquals(23, cached.getInteger("prompt_tokens"));
        assertEquals(7, cached.getInteger("completion_tokens"));
    }

    /** A route behind key-auth with ai-proxy, ai-cache and (if {@code log} is set) file-logger; returns its uri. */
    static String authRoute(String id, JsonObject aiCache, String log, String probeKey) {
        String uri = "/" + id + "/v1/chat/completions";
        JsonObject plugins = new JsonObject().put("key-auth", new JsonObject())
                .put("ai-proxy", aiProxy(llm.url(), null)).put("ai-cache", aiCache);
        if (log != null) {
            plugins.put("file-logger", new JsonObject().put("path", log));
        }
        HttpResult r = gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", uri).put("plugins", plugins).encode());
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // a body with no AI protocol: ai-proxy answers 400 itself once the route and the consumer are live
        while (post(gw, uri, "{\"probe\":true}", "apikey", probeKey).status() != 400) {
            assertTrue(System.nanoTime() - deadline < 0, "route " + id + " not live");
            Pause.sleep(50);
        }
        llm.reset();
        return uri;
    }

    @Test
    void errorsAndBrokenStreamsAreNotStored() {
        String uri = fresh(null, new JsonObject());
        String body = chat("gpt-4o", q(), false);
        llm.status(500);
        assertEquals(500, post(gw, uri, body).status());
        llm.status(200);
        HttpResult after = post(gw, uri, body);
        assertEquals(200, after.status());
        assertEquals("MISS", after.header("X-AI-Cache-Status"), "the error was not cached");

        String stream = chat("gpt-4o", q(), true);
        llm.dieAfterChunks(1);
        HttpResult broken = post(gw, uri, stream);
        assertEquals(200, broken.status());
        assertTrue(!broken.body().contains("[DONE]"), "the stream broke off: " + broken.body());
        llm.dieAfterChunks(-1);
        HttpResult whole = post(gw, uri, stream);
        assertEquals("MISS", whole.header("X-AI-Cache-Status"), "a stream that died is not replayed");
        assertTrue(whole.body().contains("[DONE]"));
        assertEquals("HIT", post(gw, uri, stream).header("X-AI-Cache-Status"));
    }

    @Test
    void schemaRefusesBadConfig() {
        HttpResult r = gw.admin("PUT", "/routes/bad-cache", new JsonObject().put("uri", "/bad")
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy(llm.url(), null))
                        .put("ai-cache", new JsonObject().put("policy", "redis"))).encode());
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.body().contains("plugin ai-cache"), r.body()); // APISIX's text: "then clause did not match"
        r = gw.admin("PUT", "/routes/bad-cache", new JsonObject().put("uri", "/bad")
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy(llm.url(), null))
                        .put("ai-cache", new JsonObject().put("exact", new JsonObject().put("ttl", 0)))).encode());
        assertEquals(400, r.status(), r.toString());
    }
}
