package dev.aigw.t.metrics;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.Ports;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The prometheus plugin on a global rule, scraped from the export server after the answers a user
 * would graph: chat, stream, embeddings, 4xx and 5xx, with APISIX 3.18's names and labels; the series
 * cap under random model names; the export server's other paths; promtool on the whole exposition;
 * and the server-timing plugin on one route.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusTest {

    /** Small, so that the random-model test reaches it quickly. */
    private static final int MAX_SERIES = 60;

    /** Generous: the machine these run on may be busy. */
    private static final Duration START = Duration.ofSeconds(60);

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .launch((b, m) -> b.startTimeout(START))
            .config(c -> c.set("plugin_attr.prometheus.max_series", MAX_SERIES));

    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void routes() {
        HttpResult g = gw().admin("PUT", "/global_rules/1",
                new JsonObject().put("plugins", new JsonObject().put("prometheus", new JsonObject())).encode());
        assertTrue(g.status() == 200 || g.status() == 201, g.toString());
        JsonObject ai = new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-prov")))
                .put("override", new JsonObject().put("endpoint", mock().url()));
        putRoute("chat", new JsonObject().put("uri", "/v1/*").put("name", "llm")
                .put("plugins", new JsonObject().put("ai-proxy", ai).put("server-timing", new JsonObject())));
        putRoute("dead", new JsonObject().put("uri", "/dead").put("upstream", new JsonObject()
                .put("type", "roundrobin").put("nodes", new JsonObject().put("127.0.0.1:" + Ports.free(), 1))));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    /** Stores a route and waits (bounded) until the data plane answers on it with anything but 404. */
    private static void putRoute(String id, JsonObject route) {
        HttpResult r = gw().admin("PUT", "/routes/" + id, route.encode());
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
        String path = route.getString("uri").replace("*", "probe");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (gw().http("GET", path, null).status() != 404) {
                return;
            }
            sleep(50);
        }
        fail("route " + id + " not live");
    }

    private static OpenAIClient sdk() {
        return OpenAIOkHttpClient.builder().baseUrl(gw().url("/v1")).apiKey("sk-client").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    private static String model(String kind) {
        return kind + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Scrapes until {@code ok} holds (the log phase runs just after the client got its answer). */
    private static Scrape awaitScrape(Predicate<Scrape> ok) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Scrape s = Scrape.of(gw());
        while (!ok.test(s)) {
            if (System.nanoTime() - deadline >= 0) {
                return s; // the caller's assertions say what is missing
            }
            sleep(50);
            s = Scrape.of(gw());
        }
        return s;
    }

    /**
     * Scrapes until the AI request labelled {@code m} is wholly recorded: the completion tokens'
     * histogram is the last series its log phase writes, and a scrape may run while it writes.
     */
    private static Scrape awaitLogged(Map<String, String> m) {
        return awaitScrape(x -> !x.find("apisix_llm_completion_tokens_dist_count", m).isEmpty());
    }

    private static JsonObject chatBody(String model, boolean stream) {
        return new JsonObject().put("model", model).put("stream", stream)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    }

    @Test
    @Order(1)
    void chatIsCountedPerModelWithTokensAndLatency() {
        String model = model("gpt-chat");
        mock().usage(31, 9);
        sdk().chat().completions().create(ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").build());

        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape s = awaitLogged(m);
        Scrape.Sample status = s.one("apisix_http_status", m);
        assertEquals(1, status.value());
        assertEquals(Map.ofEntries(Map.entry("code", "200"), Map.entry("route", "chat"),
                Map.entry("matched_uri", "/v1/*"), Map.entry("matched_host", ""), Map.entry("service", ""),
                Map.entry("consumer", ""), Map.entry("node", "ai-proxy-openai"), Map.entry("request_type", "ai_chat"),
                Map.entry("request_llm_model", model), Map.entry("llm_model", model),
                Map.entry("response_source", "upstream")), status.labels());

        Map<String, String> llm = Map.of("route_id", "chat", "service_id", "", "node", "ai-proxy-openai",
                "request_type", "ai_chat", "request_llm_model", model, "llm_model", model, "consumer", "");
        assertEquals(31, s.one("apisix_llm_prompt_tokens", llm).value());
        assertEquals(9, s.one("apisix_llm_completion_tokens", llm).value());
        assertEquals(1, s.one("apisix_llm_prompt_tokens_dist_count", llm).value());
        assertEquals(31, s.one("apisix_llm_prompt_tokens_dist_sum", llm).value());
        assertEquals(1, s.one("apisix_llm_completion_tokens_dist_count", llm).value());
        assertEquals(1, s.one("apisix_llm_latency_count", Map.of("type", "total", "request_llm_model", model)).value());
        assertTrue(s.find("apisix_llm_latency_count", Map.of("type", "ttft", "request_llm_model", model)).isEmpty(),
                "no time to first token for a non-streamed answer");
        for (String type : List.of("request", "upstream", "apisix")) {
            Scrape.Sample lat = s.one("apisix_http_latency_count", Map.of("type", type, "request_llm_model", model));
            assertEquals(1, lat.value(), type);
            assertEquals("chat", lat.labels().get("route"));
        }
        double request = s.one("apisix_http_latency_sum", Map.of("type", "request", "request_llm_model", model)).value();
        double upstream = s.one("apisix_http_latency_sum", Map.of("type", "upstream", "request_llm_model", model)).value();
        assertTrue(upstream <= request + 1, "upstream " + upstream + " within request " + request);
        assertTrue(s.one("apisix_bandwidth", Map.of("type", "ingress", "request_llm_model", model)).value() > 50);
        assertTrue(s.one("apisix_bandwidth", Map.of("type", "egress", "request_llm_model", model)).value() > 100);
    }

    @Test
    @Order(2)
    void streamHasTimeToFirstTokenAndActiveConnectionsReturnToZero() throws Exception {
        String model = model("gpt-stream");
        mock().usage(12, 5).chunks(4).chunkDelay(Duration.ofMillis(400));
        Map<String, String> m = Map.of("request_llm_model", model);
        try (StreamResponse<ChatCompletionChunk> stream = sdk().chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").build())) {
            Iterator<ChatCompletionChunk> it = stream.stream().iterator();
            assertTrue(it.hasNext(), "a first chunk");
            it.next();
            Scrape during = awaitScrape(x -> x.sum("apisix_llm_active_connections", m) == 1);
            Scrape.Sample active = during.one("apisix_llm_active_connections", m);
            assertEquals(1, active.value(), "one stream in flight");
            assertEquals("llm", active.labels().get("route"));
            assertEquals("chat", active.labels().get("route_id"));
            assertEquals("/v1/*", active.labels().get("matched_uri"));
            assertEquals("ai_stream", active.labels().get("request_type"));
            while (it.hasNext()) {
                it.next();
            }
        }
        Scrape s = awaitScrape(x -> !x.find("apisix_llm_completion_tokens_dist_count", m).isEmpty()
                && x.sum("apisix_llm_active_connections", m) == 0);
        assertEquals(0, s.one("apisix_llm_active_connections", m).value(), "back to 0 once the stream ended");
        Map<String, String> llm = Map.of("request_type", "ai_stream", "request_llm_model", model);
        assertEquals(1, s.one("apisix_llm_latency_count", with(llm, "type", "ttft")).value());
        assertEquals(1, s.one("apisix_llm_latency_count", with(llm, "type", "total")).value());
        double ttft = s.one("apisix_llm_latency_sum", with(llm, "type", "ttft")).value();
        double total = s.one("apisix_llm_latency_sum", with(llm, "type", "total")).value();
        assertTrue(ttft <= total, "ttft " + ttft + " <= total " + total);
        assertTrue(total >= 3 * 400 - 50, "the stream took its 4 delayed chunks: " + total);
        assertEquals(12, s.one("apisix_llm_prompt_tokens", llm).value());
        assertEquals(5, s.one("apisix_llm_completion_tokens", llm).value());
        assertEquals(1, s.one("apisix_http_status", with(llm, "code", "200")).value());
    }

    @Test
    @Order(3)
    void embeddingsCountPromptTokens() {
        String model = model("emb");
        mock().embeddingTokensPerInput(4);
        sdk().embeddings().create(EmbeddingCreateParams.builder().model(model).input("abc").build());
        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape s = awaitLogged(m);
        assertEquals(1, s.one("apisix_http_status", with(m, "code", "200")).value());
        assertEquals(4, s.one("apisix_llm_prompt_tokens", m).value());
        assertEquals(0, s.one("apisix_llm_completion_tokens", m).value(), "recorded, 0 included, as APISIX");
    }

    @Test
    @Order(4)
    void clientErrorsAreCountedWithTheirSource() {
        String model = model("gpt-429");
        mock().status(429);
        HttpResult r = gw().http("POST", "/v1/chat/completions", chatBody(model, false).encode());
        assertEquals(429, r.status());
        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape s = awaitLogged(m);
        Scrape.Sample st = s.one("apisix_http_status", m);
        assertEquals("429", st.labels().get("code"));
        assertEquals("upstream", st.labels().get("response_source"));
        assertTrue(s.find("apisix_llm_latency_count", m).isEmpty(), "no LLM latency for a failed call");

        // the gateway's own 400 (neither chat nor embeddings): source apisix, not an AI request
        Map<String, String> mine = Map.of("code", "400", "route", "chat", "response_source", "apisix");
        double before = Scrape.of(gw()).sum("apisix_http_status", mine);
        assertEquals(400, gw().http("POST", "/v1/whatever", "{\"nothing\":1}").status());
        Scrape after = awaitScrape(x -> x.sum("apisix_http_status", mine) == before + 1);
        assertEquals(before + 1, after.sum("apisix_http_status", mine));
        assertEquals("traditional_http", after.find("apisix_http_status", mine).get(0).labels().get("request_type"));

        // no route at all: the global rule still counts the 404, with empty route labels (as APISIX)
        Map<String, String> none = Map.of("code", "404", "route", "", "matched_uri", "", "response_source", "apisix");
        double before404 = Scrape.of(gw()).sum("apisix_http_status", none);
        assertEquals(404, gw().http("GET", "/no/such/route", null).status());
        assertEquals(before404 + 1, awaitScrape(x -> x.sum("apisix_http_status", none) == before404 + 1)
                .sum("apisix_http_status", none));
    }

    @Test
    @Order(5)
    void serverErrorsAreCountedWithTheirSource() {
        String model = model("gpt-500");
        mock().status(500);
        assertEquals(500, gw().http("POST", "/v1/chat/completions", chatBody(model, true).encode()).status());
        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape s = awaitLogged(m);
        assertEquals("500", s.one("apisix_http_status", m).labels().get("code"));
        assertEquals("upstream", s.one("apisix_http_status", m).labels().get("response_source"));
        assertTrue(s.find("apisix_llm_latency_count", m).isEmpty(), "no LLM latency for a failed call");
        assertEquals(0, s.sum("apisix_llm_active_connections", m), "a failed stream releases its connection");

        // nothing listens behind route "dead": the gateway's 502, source nginx (no upstream answer)
        Map<String, String> dead = Map.of("route", "dead", "code", "502");
        assertEquals(502, gw().http("GET", "/dead", null).status());
        Scrape d = awaitScrape(x -> x.sum("apisix_http_status", dead) >= 1);
        assertEquals("nginx", d.find("apisix_http_status", dead).get(0).labels().get("response_source"));
        assertEquals("/dead", d.find("apisix_http_status", dead).get(0).labels().get("matched_uri"));
    }

    @Test
    @Order(6)
    void serverTimingOnTheRouteThatAsksForIt() {
        HttpResult r = gw().http("POST", "/v1/chat/completions", chatBody(model("gpt-st"), false).encode());
        assertEquals(200, r.status());
        String st = r.header("Server-Timing");
        assertNotNull(st, "route chat has server-timing: " + r.headers());
        assertTrue(st.matches("gateway;dur=\\d+\\.\\d, upstream;dur=\\d+(\\.\\d)?, ttft;dur=\\d+(\\.\\d)?"), st);

        HttpResult dead = gw().http("GET", "/dead", null);
        assertNull(dead.header("Server-Timing"), "route dead did not ask for it");
    }

    @Test
    @Order(6)
    void streamTimeToFirstTokenComesAsATrailer() throws Exception {
        byte[] body = chatBody(model("gpt-trailer"), true).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String response;
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", gw().config().nodePort())) {
            sock.setSoTimeout(20_000);
            String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "TE: trailers\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
            sock.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sock.getOutputStream().write(body);
            sock.getOutputStream().flush();
            response = new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String headers = response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
        assertTrue(headers.contains("\r\ntransfer-encoding: chunked"), headers);
        assertTrue(headers.contains("\r\ntrailer: server-timing"), headers);
        assertTrue(headers.matches("(?s).*\r\nserver-timing: gateway;dur=[0-9.]+, upstream;dur=[0-9.]+\r\n.*"), headers);
        int last = response.lastIndexOf("\r\n0\r\n");
        assertTrue(last > 0, "a last chunk");
        String trailer = response.substring(last + 5);
        assertTrue(trailer.matches("(?si)server-timing: ttft;dur=[0-9.]+, upstream;dur=[0-9.]+\r\n\r\n"),
                "trailer: " + trailer);
    }

    @Test
    @Order(7)
    void gatewayGaugesAndJvmMetrics() {
        Scrape s = Scrape.of(gw());
        assertTrue(s.one("apisix_http_requests_total", Map.of()).value() >= 5);
        assertTrue(s.one("apisix_nginx_http_current_connections", Map.of("state", "accepted")).value() >= 1);
        assertTrue(s.one("apisix_nginx_http_current_connections", Map.of("state", "active")).value() >= 0);
        assertEquals(1, s.find("apisix_node_info", Map.of()).size());
        assertFalse(s.find("jvm_memory_used_bytes", Map.of()).isEmpty(), "JVM metrics under their own names");
    }

    @Test
    @Order(8)
    void exportServerServesOnlyItsUri() {
        String base = "http://127.0.0.1:" + gw().config().metricsPort();
        assertEquals(404, gw().send("GET", base + "/", null, Map.of()).status());
        assertEquals(404, gw().send("GET", base + "/apisix/prometheus/metricsx", null, Map.of()).status());
        assertEquals(404, gw().send("GET", base + "/apisix/admin/routes", null, Map.of()).status());
        assertEquals(405, gw().send("POST", base + "/apisix/prometheus/metrics", "{}", Map.of()).status());
    }

    @Test
    @Order(9)
    void randomModelNamesStopAtTheCap() {
        String longModel = "m".repeat(300);
        assertEquals(200, gw().http("POST", "/v1/chat/completions", chatBody(longModel, false).encode()).status());
        for (int i = 0; i < MAX_SERIES + 20; i++) {
            assertEquals(200, gw().http("POST", "/v1/chat/completions", chatBody(model("rnd"), false).encode()).status());
        }
        Scrape s = awaitScrape(x -> x.sum("apisix_metrics_series_dropped_total",
                Map.of("metric", "apisix_llm_prompt_tokens")) > 0);
        for (String metric : List.of("apisix_http_status", "apisix_llm_prompt_tokens", "apisix_llm_completion_tokens")) {
            int series = s.find(metric, Map.of()).size();
            assertTrue(series <= MAX_SERIES, metric + " holds " + series + " series, cap " + MAX_SERIES);
            assertTrue(s.sum("apisix_metrics_series_dropped_total", Map.of("metric", metric)) > 0, metric + " drops counted");
        }
        // model labels are cut to 128 bytes, as APISIX
        assertEquals(1, s.find("apisix_llm_prompt_tokens", Map.of("request_llm_model", "m".repeat(128))).size());
        // the recorder's own cache of label combinations (4 096) held these few hundred: nothing emptied
        assertEquals(0, s.one("apisix_cap_overflows_total", Map.of("cap", "prometheus.label_cache")).value());
    }

    @Test
    @Order(10)
    void promtoolAcceptsTheExposition() throws Exception {
        Scrape s = Scrape.of(gw());
        Map.Entry<Integer, List<String>> r = Scrape.promtool(s.text());
        // exit 3 = lint remarks only; the one expected is APISIX's own gauge named *_total
        assertTrue(r.getKey() == 0 || r.getKey() == 3, "promtool exit " + r.getKey() + ": " + r.getValue());
        for (String problem : r.getValue()) {
            assertTrue(problem.startsWith("apisix_http_requests_total non-counter metrics should not have \"_total\""),
                    "unexpected promtool remark: " + problem);
        }
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> out = new java.util.HashMap<>(m);
        out.put(k, v);
        return out;
    }
}
