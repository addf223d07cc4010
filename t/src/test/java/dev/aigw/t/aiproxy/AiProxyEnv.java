package dev.aigw.t.aiproxy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the ai-proxy black-box tests share: an access-log format that prints the LLM variables
 * (one {@code |}-separated line per request, tagged with the client's {@code X-Test-Id} header),
 * route helpers and the official OpenAI client pointed at the gateway.
 */
final class AiProxyEnv {

    /** The variables printed per request, in order; a line is split on {@code |} into these. */
    static final List<String> LOG_VARS = List.of("http_x_test_id", "route_id", "status", "request_type",
            "request_llm_model", "llm_model", "llm_prompt_tokens", "llm_completion_tokens",
            "llm_time_to_first_token", "upstream_addr", "upstream_status", "upstream_scheme", "upstream_host",
            "upstream_uri", "apisix_upstream_response_time", "llm_tool_count", "llm_has_tool_calls",
            "llm_end_user_id", "llm_reasoning_tokens", "llm_content_risk_level", "request_uri");

    /** A bounded wait for anything asynchronous (access log lines, mock state). */
    static final Duration WAIT = Duration.ofSeconds(10);

    private AiProxyEnv() {
    }

    /** The config every class uses: the access log prints {@link #LOG_VARS}. */
    static Consumer<GatewayConfig> config() {
        StringBuilder fmt = new StringBuilder("AIGW");
        for (String v : LOG_VARS) {
            fmt.append('|').append('$').append(v);
        }
        return c -> c.set("nginx_config.http.access_log_format", fmt.toString());
    }

    /** A new extension with {@link #config()}. */
    static GatewayExtension extension() {
        return GatewayExtension.create().config(config());
    }

    /** A fresh id for one test's requests (sent as {@code X-Test-Id}, printed in the access log). */
    static String testId() {
        return "t-" + UUID.randomUUID().toString().substring(0, 12);
    }

    /** A route on {@code uri} with ai-proxy configured by {@code aiProxy}; fails unless stored. */
    static void putRoute(GatewayProcess gw, String id, String uri, JsonObject aiProxy) {
        putRoute(gw, id, new JsonObject().put("uri", uri).put("plugins", new JsonObject().put("ai-proxy", aiProxy)));
    }

    /** Stores a whole route and waits (bounded) until the data plane serves it. */
    static void putRoute(GatewayProcess gw, String id, JsonObject route) {
        putRoute(gw, id, route, new JsonObject().put("route-probe", true));
    }

    /**
     * Stores a whole route and waits (bounded) until the data plane routes {@code probe} (a body
     * that matches the route's {@code vars} but is neither chat nor embeddings, so ai-proxy refuses
     * it with 400 and nothing reaches the provider) to it.
     */
    static void putRoute(GatewayProcess gw, String id, JsonObject route, JsonObject probe) {
        HttpResult r = gw.admin("PUT", "/routes/" + id, route.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "route " + id + " stored: " + r);
        String uri = route.getString("uri");
        String path = uri.endsWith("*") ? uri.substring(0, uri.length() - 1) + "probe" : uri;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            HttpResult p = gw.http("POST", path, probe.encode());
            if (p.status() == 400 && p.body().contains("no matching AI protocol")) {
                return;
            }
            sleep(50);
        }
        fail("route " + id + " on " + uri + " not live within " + WAIT);
    }

    /** ai-proxy's config for a provider, sending to the mock through {@code override.endpoint}. */
    static JsonObject aiProxy(String provider, String endpoint, JsonObject auth) {
        return new JsonObject().put("provider", provider).put("auth", auth)
                .put("override", new JsonObject().put("endpoint", endpoint));
    }

    static JsonObject bearer(String key) {
        return new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer " + key));
    }

    /** The official client with base URL {@code gateway + basePath}, no retries, tagging every request. */
    static OpenAIClient sdk(GatewayProcess gw, String basePath, String clientKey, String testId) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(gw.url(basePath))
                .apiKey(clientKey)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .putHeader("X-Test-Id", testId)
                .build();
    }

    /** The access log lines of one test id, each as variable name → value ("-" when unset). */
    static List<Map<String, String>> logEntries(GatewayProcess gw, String testId) {
        return gw.accessLogLines().stream()
                .filter(l -> l.startsWith("AIGW|" + testId + "|"))
                .map(AiProxyEnv::parse)
                .toList();
    }

    /** Waits (bounded) for {@code n} access-log lines of a test id; fails with the log tail if they don't come. */
    static List<Map<String, String>> awaitLogEntries(GatewayProcess gw, String testId, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<Map<String, String>> e = logEntries(gw, testId);
            if (e.size() >= n) {
                return e;
            }
            if (System.nanoTime() - deadline >= 0) {
                fail("expected " + n + " access log lines for " + testId + ", got " + e.size() + "; log:\n"
                        + String.join("\n", tail(gw.accessLogLines(), 20)));
            }
            sleep(25);
        }
    }

    /** The one access-log line of a test id. */
    static Map<String, String> awaitLogEntry(GatewayProcess gw, String testId) {
        return awaitLogEntries(gw, testId, 1).get(0);
    }

    private static Map<String, String> parse(String line) {
        String[] parts = line.split("\\|", -1);
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < LOG_VARS.size() && i + 1 < parts.length; i++) {
            m.put(LOG_VARS.get(i), parts[i + 1]);
        }
        return m;
    }

    private static List<String> tail(List<String> l, int n) {
        return l.subList(Math.max(0, l.size() - n), l.size());
    }
}
