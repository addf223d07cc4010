package dev.aigw.t.foundation;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code apisix.max_post_args_readable_size} as APISIX's t/core/ctx3.t TEST 8: a body larger than the
 * cap is not read to match {@code post_arg.*}, so a route that needs it does not match; a smaller one
 * does.
 */
class PostArgReadableSizeTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .config(c -> c.set("apisix.max_post_args_readable_size", 1));

    @BeforeEach
    void upstream() {
        ENV.mock().respond("/pa", (req, rec) -> req.response().end("matched"));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static String body(int padBytes) {
        return new JsonObject().put("model", "big").put("pad", "x".repeat(padBytes)).encode();
    }

    @Test
    void aBodyOverTheCapDoesNotMatchPostArgButASmallOneDoes() throws Exception {
        JsonObject route = new JsonObject().put("uri", "/pa")
                .put("vars", new JsonArray().add(new JsonArray().add("post_arg.model").add("==").add("big")))
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(ENV.mock().hostPort(), 1)));
        HttpResult put = gw().admin("PUT", "/routes/pa", route.encode());
        assertTrue(put.status() == 200 || put.status() == 201, put.toString());

        HttpResult small = gw().http("POST", "/pa", body(1000), "Content-Type", "application/json");
        assertEquals(200, small.status(), small.body());
        assertEquals("matched", small.body());

        HttpResult big = gw().http("POST", "/pa", body(2 << 20), "Content-Type", "application/json");
        assertEquals(404, big.status(), "over 1 MiB: post_arg.model has no value");
        assertTrue(big.body().contains("Route Not Found"), big.body());

        // without a Content-Length the body is read (within client_max_body_size) and then found too large
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] bytes = body(2 << 20).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(gw().url("/pa")))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, chunked.statusCode());
    }
}
