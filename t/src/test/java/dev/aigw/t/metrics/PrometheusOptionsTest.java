package dev.aigw.t.metrics;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ConnectException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code plugin_attr.prometheus} and metadata options on one gateway: the 3.14–3.16 label set, a
 * metric prefix, extra labels from variables, expiry of idle label sets, {@code disabled_labels},
 * {@code prefer_name}, and the metrics answered on the data plane when the export server is off.
 */
class PrometheusOptionsTest {

    /** Generous: the machine these run on may be busy. */
    private static final Duration START = Duration.ofSeconds(60);

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .launch((b, m) -> b.startTimeout(START)).config(c -> c
            .set("plugin_attr.prometheus.label_set", "3.16")
            .set("plugin_attr.prometheus.metric_prefix", "gw_")
            .set("plugin_attr.prometheus.enable_export_server", false)
            .set("plugin_attr.prometheus.metrics.http_status.extra_labels",
                    List.of(Map.of("team", "$http_x_team")))
            .set("plugin_attr.prometheus.metrics.llm_prompt_tokens.expire", 2));

    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void routes() {
        JsonObject ai = new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-prov")))
                .put("override", new JsonObject().put("endpoint", ENV.mock().url()));
        put("/routes/chat", new JsonObject().put("uri", "/v1/*").put("name", "the-llm")
                .put("plugins", new JsonObject().put("ai-proxy", ai).put("prometheus", new JsonObject().put("prefer_name", true))));
        // where the metrics are read when the export server is off: a route for export_uri with the plugin
        put("/routes/metrics", new JsonObject().put("uri", "/apisix/prometheus/metrics")
                .put("plugins", new JsonObject().put("prometheus", new JsonObject())));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (gw().http("GET", "/apisix/prometheus/metrics", null).status() != 200) {
            if (System.nanoTime() - deadline >= 0) {
                fail("metrics route not live");
            }
            sleep(50);
        }
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static void put(String path, JsonObject body) {
        HttpResult r = gw().admin("PUT", path, body.encode());
        assertTrue(r.status() == 200 || r.status() == 201, r.toString());
    }

    private static Scrape scrape() {
        HttpResult r = gw().http("GET", "/apisix/prometheus/metrics", null);
        assertEquals(200, r.status(), r.toString());
        return Scrape.parse(r.body());
    }

    private static Scrape await(Predicate<Scrape> ok) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Scrape s = scrape();
        while (!ok.test(s) && System.nanoTime() - deadline < 0) {
            sleep(100);
            s = scrape();
        }
        return s;
    }

    private static String chat(String model, boolean stream, String team) {
        JsonObject body = new JsonObject().put("model", model).put("stream", stream)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
        HttpResult r = gw().http("POST", "/v1/chat/completions", body.encode(), "X-Team", team);
        assertEquals(200, r.status(), r.toString());
        return model;
    }

    @Test
    void noExportServerTheDataPlaneAnswers() {
        int port = gw().config().metricsPort();
        Exception e = assertThrows(UncheckedIOException.class,
                () -> gw().send("GET", "http://127.0.0.1:" + port + "/apisix/prometheus/metrics", null, Map.of()));
        assertInstanceOf(ConnectException.class, e.getCause(), "nothing listens on the export port");
        assertFalse(scrape().find("gw_node_info", Map.of()).isEmpty(), "prefix gw_ everywhere");
    }

    @Test
    void oldLabelSetPrefixExtraLabelsAndPreferName() {
        String model = chat("old-" + UUID.randomUUID().toString().substring(0, 8), true, "search");
        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape s = await(x -> !x.find("gw_llm_prompt_tokens", m).isEmpty());
        Scrape.Sample status = s.one("gw_http_status", m);
        assertEquals("the-llm", status.labels().get("route"), "prefer_name: the route's name");
        assertEquals("search", status.labels().get("team"), "extra label from $http_x_team");
        assertFalse(status.labels().containsKey("response_source"), "3.16 has no response_source");
        Scrape.Sample lat = s.one("gw_llm_latency_count", m);
        assertFalse(lat.labels().containsKey("type"), "3.16: llm_latency without type");
        assertEquals(1, lat.value(), "time to first token only");
        assertTrue(s.find("gw_llm_prompt_tokens_dist_count", Map.of()).isEmpty(), "3.16 has no _dist histograms");
        assertTrue(s.find("apisix_http_status", Map.of()).isEmpty(), "no apisix_ names with another prefix");
    }

    @Test
    void idleLabelSetsExpire() {
        String model = chat("exp-" + UUID.randomUUID().toString().substring(0, 8), false, "a");
        Map<String, String> m = Map.of("request_llm_model", model);
        Scrape seen = await(x -> !x.find("gw_llm_prompt_tokens", m).isEmpty());
        assertEquals(1, seen.find("gw_llm_prompt_tokens", m).size());
        Scrape gone = await(x -> x.find("gw_llm_prompt_tokens", m).isEmpty());
        assertTrue(gone.find("gw_llm_prompt_tokens", m).isEmpty(), "expire: 2 s, removed once idle");
        assertEquals(1, gone.find("gw_llm_completion_tokens", m).size(), "no expire on the other counters");
    }

    @Test
    void disabledLabelsCollapseToEmpty() {
        put("/plugin_metadata/prometheus", new JsonObject().put("disabled_labels",
                new JsonObject().put("http_status", new JsonArray().add("node").add("llm_model"))));
        try {
            // the metadata reaches the data plane through the store's watch: retry until a fresh model shows it
            Scrape s = null;
            String model = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() - deadline < 0) {
                model = chat("dis-" + UUID.randomUUID().toString().substring(0, 8), false, "a");
                Map<String, String> m = Map.of("request_llm_model", model);
                // the token counter is written after the status one, in the same log phase
                s = await(x -> !x.find("gw_llm_prompt_tokens", m).isEmpty());
                if ("".equals(s.one("gw_http_status", m).labels().get("node"))) {
                    break;
                }
                sleep(100);
            }
            Scrape.Sample st = s.one("gw_http_status", Map.of("request_llm_model", model));
            assertEquals("", st.labels().get("node"));
            assertEquals("", st.labels().get("llm_model"));
            assertEquals(model, st.labels().get("request_llm_model"), "labels not listed stay");
            assertEquals("ai-proxy-openai", s.one("gw_llm_prompt_tokens", Map.of("request_llm_model", model))
                    .labels().get("node"), "other metrics keep node");
            HttpResult bad = gw().admin("PUT", "/plugin_metadata/prometheus", new JsonObject().put("disabled_labels",
                    new JsonObject().put("http_status", new JsonArray().add("code"))).encode());
            assertEquals(400, bad.status(), "code cannot be disabled: " + bad);
        } finally {
            gw().admin("DELETE", "/plugin_metadata/prometheus", null);
        }
    }
}
