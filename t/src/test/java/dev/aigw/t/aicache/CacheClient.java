package dev.aigw.t.aicache;

import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the ai-cache tests share: routes, chat bodies and a concurrent HTTP client. */
final class CacheClient {

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private CacheClient() {
    }

    static JsonObject aiProxy(String mockUrl, JsonObject options) {
        JsonObject o = new JsonObject().put("provider", "openai-compatible")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-test")))
                .put("override", new JsonObject().put("endpoint", mockUrl + "/v1/chat/completions"));
        if (options != null) {
            o.put("options", options);
        }
        return o;
    }

    /** Stores a route and waits (bounded) until the data plane answers on it with ai-cache in place. */
    static void route(GatewayProcess gw, String id, String uri, JsonObject aiProxy, JsonObject aiCache) {
        JsonObject plugins = new JsonObject().put("ai-proxy", aiProxy);
        if (aiCache != null) {
            plugins.put("ai-cache", aiCache);
        }
        HttpResult r = gw.admin("PUT", "/routes/" + id, new JsonObject().put("uri", uri).put("plugins", plugins).encode());
        assertTrue(r.status() == 200 || r.status() == 201, "route stored: " + r);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String probe = new JsonObject().put("probe", id + System.nanoTime()).encode();
        while (System.nanoTime() - deadline < 0) {
            String path = uri.endsWith("*") ? uri.substring(0, uri.length() - 1) + "probe" : uri;
            HttpResult p = gw.http("POST", path, probe);
            // a body with no AI protocol: ai-proxy answers 400 itself (nothing reaches the mock)
            if (p.status() == 400) {
                return;
            }
            dev.aigw.t.Pause.sleep(50);
        }
        throw new AssertionError("route " + id + " not live");
    }

    static String chat(String model, String question, boolean stream) {
        JsonObject b = new JsonObject().put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", question)));
        if (model != null) {
            b.put("model", model);
        }
        if (stream) {
            b.put("stream", true);
        }
        return b.encode();
    }

    static HttpResult post(GatewayProcess gw, String uri, String body, String... headers) {
        return gw.http("POST", uri, body, headers);
    }

    /** {@code n} identical requests sent at once; every answer (or the failure) within 60 s. */
    static List<HttpResponse<String>> burst(List<String> baseUrls, String uri, String body, int n) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String base = baseUrls.get(i % baseUrls.size());
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + uri)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            fs.add(CLIENT.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> out = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : fs) {
            out.add(f.get(90, TimeUnit.SECONDS));
        }
        return out;
    }
}
