package dev.aigw.t.aiproxy;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.bearer;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request bodies are bounded while they are read (issue 11, point 1): ai-proxy's and ai-proxy-multi's
 * {@code max_req_body_size} (APISIX's default 64 MiB) answers 413 as soon as the count passes it, nothing
 * reaches the provider; and a burst of large bodies that together pass the gateway's body budget ends in
 * 503s for some of them, never in an OutOfMemoryError. The gateway runs with {@code -Xmx256m}.
 */
class AiProxyBodyLimitTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A chat request of exactly {@code size} bytes whose one message is a single long string. */
    static byte[] chat(int size) {
        byte[] head = "{\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}]}".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[size];
        System.arraycopy(head, 0, b, 0, head.length);
        Arrays.fill(b, head.length, size - tail.length, (byte) 'x');
        System.arraycopy(tail, 0, b, size - tail.length, tail.length);
        return b;
    }

    private static HttpResponse<String> post(String path, HttpRequest.BodyPublisher body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(ENV.gateway().url(path)))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(body).build();
        return CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /** The body without a Content-Length: sent chunked, so the cap can only be checked while reading. */
    private static HttpRequest.BodyPublisher chunked(byte[] body) {
        HttpRequest.BodyPublisher known = HttpRequest.BodyPublishers.ofByteArray(body);
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return -1;
            }

            @Override
            public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
                known.subscribe(s);
            }
        };
    }

    private static String errorMsg(HttpResponse<String> r) {
        return new JsonObject(r.body()).getString("error_msg");
    }

    @Test
    void anEightyMiBSingleStringBodyIs413AndNeverSentUpstream() throws Exception {
        MockLlm mock = ENV.mock();
        putRoute(ENV.gateway(), "big", "/big/v1/chat/completions",
                aiProxy("openai", mock.url() + "/v1/chat/completions", bearer("sk-big")));

        HttpResponse<String> r = post("/big/v1/chat/completions", HttpRequest.BodyPublishers.ofByteArray(chat(80 << 20)));

        assertEquals(413, r.statusCode(), "over the default max_req_body_size (64 MiB), not a misleading 400: " + r.body());
        assertEquals("could not get body: request size 83886080 is greater than the maximum size 67108864 allowed",
                errorMsg(r));
        assertEquals(0, mock.count(), "nothing reached the provider");
    }

    @Test
    void aChunkedBodyOverTheRouteCapIs413WhileReading() throws Exception {
        MockLlm mock = ENV.mock();
        putRoute(ENV.gateway(), "capped", "/capped/v1/chat/completions",
                aiProxy("openai", mock.url() + "/v1/chat/completions", bearer("sk-c")).put("max_req_body_size", 1 << 20));

        HttpResponse<String> r = post("/capped/v1/chat/completions", chunked(chat(5 << 20)));

        assertEquals(413, r.statusCode(), r.body());
        assertEquals("could not get body: request size is greater than the maximum size 1048576 allowed", errorMsg(r));
        assertEquals(0, mock.count(), "nothing reached the provider");

        HttpResponse<String> small = post("/capped/v1/chat/completions", chunked(chat(512 << 10)));
        assertEquals(200, small.statusCode(), "a body under the cap still works: " + small.body());
        assertEquals(1, mock.count(), "and reached the provider");
    }

    @Test
    void aiProxyMultiEnforcesItsCapToo() throws Exception {
        MockLlm mock = ENV.mock();
        JsonObject inst = new JsonObject().put("name", "a").put("provider", "openai-compatible").put("weight", 1)
                .put("auth", bearer("sk-a"))
                .put("override", new JsonObject().put("endpoint", mock.url() + "/v1/chat/completions"));
        JsonObject route = new JsonObject().put("uri", "/multi/v1/chat/completions").put("plugins", new JsonObject()
                .put("ai-proxy-multi", new JsonObject().put("instances", new JsonArray().add(inst))
                        .put("max_req_body_size", 1 << 20)));
        putRoute(ENV.gateway(), "multi", route);

        HttpResponse<String> r = post("/multi/v1/chat/completions", HttpRequest.BodyPublishers.ofByteArray(chat(2 << 20)));

        assertEquals(413, r.statusCode(), r.body());
        assertEquals("could not get body: request size 2097152 is greater than the maximum size 1048576 allowed", errorMsg(r));
        assertEquals(0, mock.count(), "nothing reached the provider");
    }

    @Test
    void aBurstOfLargeBodiesEndsIn503sNotOutOfMemory() throws Exception {
        MockLlm mock = ENV.mock();
        GatewayProcess gw = ENV.gateway();
        putRoute(gw, "burst", "/burst/v1/chat/completions",
                aiProxy("openai", mock.url() + "/v1/chat/completions", bearer("sk-b")));
        // the provider holds each answer, so that the bodies the gateway accepted stay in memory meanwhile
        mock.headerDelay(Duration.ofSeconds(5));

        // six 20 MiB bodies at once (120 MiB) against a 256 MiB heap: the default budget (1/8 of the heap)
        // holds one of them at a time
        byte[] body = chat(20 << 20);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/burst/v1/chat/completions")))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            all.add(CLIENT.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(503, r.statusCode(), "only 200 or 503: " + r.body());
                assertTrue(errorMsg(r).contains("retry later"), r.body());
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                refused++;
            }
        }
        assertTrue(ok >= 1, "the bodies that fit the budget were served (a 20 MiB string parses): ok=" + ok);
        assertTrue(refused >= 1, "the rest were refused with 503: refused=" + refused);
        assertEquals(ok, mock.count(), "only the served ones reached the provider");

        mock.headerDelay(Duration.ZERO);
        assertTrue(gw.isAlive(), "the gateway is still up");
        assertEquals(200, post("/burst/v1/chat/completions", HttpRequest.BodyPublishers.ofByteArray(chat(1 << 20))).statusCode(),
                "and serves again once the bodies are gone");
        assertFalse(gw.allLogs().contains("OutOfMemoryError"), "no OutOfMemoryError:\n" + gw.outputTail(30));
        assertTrue(gw.errorLog().contains("apisix.request_body_buffer_budget"), "the refusal is logged with the key");
        String metrics = gw.send("GET", "http://127.0.0.1:" + gw.config().metricsPort() + "/apisix/prometheus/metrics",
                null, java.util.Map.of()).body();
        assertTrue(metrics.contains("apisix_cap_overflows_total{cap=\"request_body.budget\"} " + refused + ".0\n"),
                "each refusal counted for monitoring: " + metrics.lines()
                        .filter(l -> l.contains("cap_overflows")).toList());
        assertTrue(metrics.contains("apisix_cap_overflows_total{cap=\"access_log.queue\"} 0.0\n"),
                "the other caps are shown, at 0");
    }
}
