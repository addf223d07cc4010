package dev.aigw.t.kafka;

import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Route bodies for these tests and an Admin API PUT that waits until the data plane serves it. */
final class Routes {

    /** The provider key ai-proxy injects; it must never reach a log entry. */
    static final String PROVIDER_KEY = "sk-provider-7f3a9c1e5b2d4f60-SECRET";

    private static final AtomicInteger PROBES = new AtomicInteger();

    private Routes() {
    }

    /** The kafka-logger config: brokers, topic, key {@code key1}, a batch of one. */
    static JsonObject kafkaLogger(int brokerPort, String topic) {
        return new JsonObject()
                .put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", brokerPort)))
                .put("kafka_topic", topic)
                .put("key", "key1")
                .put("batch_max_size", 1);
    }

    /** ai-proxy (openai, against the mock) with logging summaries and payloads on. */
    static JsonObject aiProxy(MockLlm mock) {
        return new JsonObject()
                .put("provider", "openai")
                .put("auth", new JsonObject().put("header",
                        new JsonObject().put("Authorization", "Bearer " + PROVIDER_KEY)))
                .put("options", new JsonObject().put("model", "gpt-4o-mini"))
                .put("override", new JsonObject().put("endpoint", mock.url() + "/v1/chat/completions"))
                .put("logging", new JsonObject().put("summaries", true).put("payloads", true));
    }

    /** A route on {@code uri} with ai-proxy and this kafka-logger. */
    static JsonObject chatRoute(String uri, MockLlm mock, JsonObject kafkaLogger) {
        return new JsonObject().put("uri", uri).put("plugins", new JsonObject()
                .put("ai-proxy", aiProxy(mock))
                .put("kafka-logger", kafkaLogger));
    }

    /**
     * PUTs the route (201 or 200 expected), then PUTs a plain probe route and polls it until the
     * gateway serves it: changes apply in order, so the route is live then too (polling the route
     * itself would add entries to its topic).
     */
    static void put(GatewayProcess gw, MockLlm mock, String id, JsonObject route) {
        HttpResult r = gw.admin("PUT", "/routes/" + id, route.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "PUT route " + id + ": " + r.status() + " " + r.body());
        awaitApplied(gw, mock);
    }

    /** Waits until every admin change made so far is live on the data plane (see {@link #put}). */
    static void awaitApplied(GatewayProcess gw, MockLlm mock) {
        int n = PROBES.incrementAndGet();
        String uri = "/probe-" + n;
        JsonObject probe = new JsonObject().put("uri", uri).put("upstream", new JsonObject()
                .put("type", "roundrobin").put("nodes", new JsonObject().put(mock.hostPort(), 1)));
        HttpResult r = gw.admin("PUT", "/routes/probe", probe.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "PUT probe: " + r.status() + " " + r.body());
        boolean live = MockLlm.await(() -> {
            HttpResult p = gw.http("GET", uri, null);
            return !(p.status() == 404 && p.body().contains("Route Not Found"));
        }, Duration.ofSeconds(10));
        assertTrue(live, "the probe route never went live");
    }

    /** A chat request body (OpenAI form) with one user message. */
    static String chatBody(String userText) {
        return new JsonObject().put("model", "gpt-4o")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", userText)))
                .encode();
    }

    /** POSTs a chat request and checks it answered 200. */
    static HttpResult chat(GatewayProcess gw, String path, String userText, String... headers) {
        HttpResult r = gw.http("POST", path, chatBody(userText), headers);
        assertEquals(200, r.status(), () -> "chat via " + path + ": " + r.body());
        return r;
    }
}
