package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ai-proxy's SSE path: passthrough as it arrives, usage, the hidden usage chunk, broken streams. */
class AiProxyStreamTest {

    static Vertx vertx;
    static MockLlm mock;

    static final String STREAM = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STREAM_USAGE = "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockLlm(vertx);
    }

    @AfterAll
    static void stop() throws Exception {
        mock.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        mock.seen.clear();
        mock.closed.clear();
    }

    static JsonObject conf(String endpoint) {
        return new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-conf")))
                .put("override", new JsonObject().put("endpoint", endpoint))
                .put("logging", new JsonObject().put("summaries", true).put("payloads", true));
    }

    static List<String> dataLines(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(line.substring(6));
            }
        }
        return out;
    }

    @Test
    void firstChunkReachesTheClientBeforeTheProviderSendsTheLast() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<Void> lastSent = new CompletableFuture<>();
        mock.on("/slow", (req, s) -> {
            JsonObject body = s.json();
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            req.response().write(MockLlm.sse(MockLlm.chunk(body, "first", false)));
            gate.thenRun(() -> {
                req.response().write(MockLlm.sse(MockLlm.chunk(body, "last", false)));
                req.response().end("data: [DONE]\n\n");
                lastSent.complete(null);
            });
        });
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base() + "/slow"))) {
            HttpResponse<InputStream> r = Http.CLIENT.send(Http.post(gw.url("/chat"), STREAM).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("content-type").orElse("").contains("text/event-stream"));
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String first = in.readLine();
                assertTrue(first.contains("\"first\""), first);
                assertFalse(lastSent.isDone(), "the provider had not sent its last chunk yet");
                gate.complete(null);
                StringBuilder rest = new StringBuilder();
                for (String line; (line = in.readLine()) != null; ) {
                    rest.append(line).append('\n');
                }
                assertTrue(rest.toString().contains("\"last\""));
                assertTrue(rest.toString().contains("data: [DONE]"));
            }
            RequestContext ctx = gw.nextFinished();
            assertEquals("ai_stream", ctx.var("request_type"));
            assertTrue(((Long) ctx.var("llm_time_to_first_token")) >= 0);
        }
    }

    @Test
    void usageIsRequestedForTheClientAndItsChunkHidden() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base()))) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), STREAM);
            assertEquals(200, r.statusCode());
            JsonObject sent = mock.last().json();
            assertEquals(true, sent.getJsonObject("stream_options").getBoolean("include_usage"));
            List<String> data = dataLines(r.body());
            assertEquals(4, data.size(), r.body()); // two deltas, the finish chunk, [DONE]
            for (String d : data.subList(0, 3)) {
                assertFalse(new JsonObject(d).containsKey("usage"), d);
            }
            assertEquals("[DONE]", data.get(3));
            RequestContext ctx = gw.nextFinished();
            assertEquals(9L, ctx.var("llm_prompt_tokens"));
            assertEquals(2L, ctx.var("llm_completion_tokens"));
            assertEquals(Map.of("content", "Hello world"), ctx.logFields().get("llm_response_text"));
            @SuppressWarnings("unchecked")
            Map<String, Object> req = (Map<String, Object>) ctx.logFields().get("llm_request");
            assertEquals(true, req.get("stream"));
        }
    }

    @Test
    void aClientThatAskedForUsageGetsTheUsageChunkCountedOnce() throws Exception {
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base()))) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), STREAM_USAGE);
            assertEquals(200, r.statusCode());
            List<String> data = dataLines(r.body());
            assertEquals(5, data.size(), r.body());
            JsonObject usage = new JsonObject(data.get(3)).getJsonObject("usage");
            assertEquals(11, usage.getInteger("total_tokens"));
            RequestContext ctx = gw.nextFinished();
            assertEquals(9L, ctx.var("llm_prompt_tokens"));
            assertEquals(2L, ctx.var("llm_completion_tokens"));
            assertEquals(11L, ctx.var("llm_total_tokens"));
        }
    }

    @Test
    void usageReportedTwiceIsNotSummed() throws Exception {
        mock.on("/twice", (req, s) -> {
            JsonObject body = s.json();
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            req.response().write(MockLlm.sse(MockLlm.chunk(body, "a", false)));
            req.response().write(MockLlm.sse(MockLlm.usageChunk(body)));
            req.response().write(MockLlm.sse(MockLlm.usageChunk(body)));
            req.response().end("data: [DONE]\n\n");
        });
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base() + "/twice"))) {
            assertEquals(200, Http.send(gw.url("/chat"), STREAM_USAGE).statusCode());
            RequestContext ctx = gw.nextFinished();
            assertEquals(9L, ctx.var("llm_prompt_tokens"));
            assertEquals(11L, ctx.var("llm_total_tokens"));
        }
    }

    @Test
    void aProviderThatDiesMidStreamEndsTheClientsStream() throws Exception {
        mock.on("/dies", (req, s) -> {
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            req.response().write(MockLlm.sse(MockLlm.chunk(s.json(), "partial", false)))
                    .onComplete(v -> vertx.setTimer(50, t -> req.connection().close()));
        });
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base() + "/dies"))) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), STREAM);
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("\"partial\""), r.body());
            assertFalse(r.body().contains("[DONE]"));
            gw.nextFinished();
        }
    }

    @Test
    void aClientThatLeavesCancelsTheProviderCall() throws Exception {
        mock.on("/endless", (req, s) -> {
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            req.response().write(MockLlm.sse(MockLlm.chunk(s.json(), "tick", false)));
            // and never ends
        });
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base() + "/endless"))) {
            try (Socket sock = new Socket("127.0.0.1", gw.port)) {
                sock.setSoTimeout(10_000);
                byte[] body = STREAM.getBytes(StandardCharsets.UTF_8);
                OutputStream os = sock.getOutputStream();
                os.write(("POST /chat HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                os.write(body);
                os.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.contains("\"tick\"")) {
                        break;
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!mock.closed.contains("/endless") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(mock.closed.contains("/endless"), "the provider connection was reset");
        }
    }

    @Test
    void aLargeStreamToASlowReaderArrivesWhole() throws Exception {
        int events = 3000;
        String pad = "x".repeat(1000);
        mock.on("/large", (req, s) -> {
            JsonObject body = s.json();
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            int[] i = {0};
            Runnable[] pump = new Runnable[1];
            pump[0] = () -> {
                while (i[0] < events && !req.response().writeQueueFull()) {
                    req.response().write(MockLlm.sse(MockLlm.chunk(body, i[0]++ + pad, false)));
                }
                if (i[0] < events) {
                    req.response().drainHandler(v -> pump[0].run());
                } else {
                    req.response().end("data: [DONE]\n\n");
                }
            };
            pump[0].run();
        });
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(), conf(mock.base() + "/large"))) {
            HttpResponse<InputStream> r = Http.CLIENT.send(Http.post(gw.url("/chat"), STREAM).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            int seen = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data: {")) {
                        String content = new JsonObject(line.substring(6)).getJsonArray("choices")
                                .getJsonObject(0).getJsonObject("delta").getString("content");
                        assertEquals(seen + pad, content);
                        seen++;
                        if (seen % 500 == 0) {
                            Thread.sleep(20); // a slow reader: the gateway's write queue fills up
                        }
                    }
                }
            }
            assertEquals(events, seen);
        }
    }
}
