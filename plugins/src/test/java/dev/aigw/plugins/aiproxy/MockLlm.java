package dev.aigw.plugins.aiproxy;

import dev.aigw.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A small OpenAI-compatible LLM on 127.0.0.1 for tests: records every request, answers chat (JSON or
 * SSE), embeddings and Vertex predict by default, and lets a test install its own responder per path.
 */
final class MockLlm implements AutoCloseable {

    /** One request as the mock saw it. */
    record Seen(String method, String uri, String path, String query, Map<String, String> headers, Buffer body) {
        JsonObject json() {
            return body.toJsonObject();
        }

        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    final Vertx vertx;
    final int port;
    private final HttpServer server;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Connections the mock saw closed (path of the request that was in flight). */
    final List<String> closed = new CopyOnWriteArrayList<>();
    private final Map<String, BiConsumer<HttpServerRequest, Seen>> responders = new ConcurrentHashMap<>();

    MockLlm(Vertx vertx) throws Exception {
        this.vertx = vertx;
        this.port = Ports.free();
        this.server = vertx.createHttpServer().requestHandler(this::handle);
        server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** Answers requests to this path with a custom responder. */
    void on(String path, BiConsumer<HttpServerRequest, Seen> responder) {
        responders.put(path, responder);
    }

    Seen last() {
        return seen.isEmpty() ? null : seen.get(seen.size() - 1);
    }

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            Map<String, String> h = new ConcurrentHashMap<>();
            req.headers().forEach(e -> h.put(e.getKey().toLowerCase(), e.getValue()));
            Seen s = new Seen(req.method().name(), req.uri(), req.path(), req.query(), h, body);
            seen.add(s);
            req.connection().closeHandler(v -> closed.add(req.path()));
            BiConsumer<HttpServerRequest, Seen> r = responders.get(req.path());
            if (r != null) {
                r.accept(req, s);
            } else {
                answerDefault(req, s);
            }
        });
    }

    private void answerDefault(HttpServerRequest req, Seen s) {
        JsonObject body;
        try {
            body = s.json();
        } catch (RuntimeException e) {
            req.response().setStatusCode(400).end("{\"error\":\"not json\"}");
            return;
        }
        if (req.path().endsWith(":predict")) {
            JsonArray preds = new JsonArray();
            for (Object inst : body.getJsonArray("instances", new JsonArray())) {
                preds.add(new JsonObject().put("embeddings", new JsonObject()
                        .put("values", new JsonArray().add(0.0123).add(-0.0456))
                        .put("statistics", new JsonObject().put("token_count", 4).put("truncated", false))));
            }
            json(req, new JsonObject().put("predictions", preds));
        } else if (body.containsKey("input")) {
            json(req, new JsonObject().put("object", "list")
                    .put("data", new JsonArray().add(new JsonObject().put("object", "embedding").put("index", 0)
                            .put("embedding", new JsonArray().add(0.1).add(0.2))))
                    .put("model", body.getString("model", "text-embedding-3-small"))
                    .put("usage", new JsonObject().put("prompt_tokens", 5).put("total_tokens", 5)));
        } else if (Boolean.TRUE.equals(body.getValue("stream"))) {
            boolean usage = body.getJsonObject("stream_options", new JsonObject()).getBoolean("include_usage", false);
            req.response().putHeader("Content-Type", "text/event-stream").setChunked(true);
            for (String part : new String[] {"Hello", " world"}) {
                req.response().write(sse(chunk(body, part, usage)));
            }
            req.response().write(sse(finish(body, usage)));
            if (usage) {
                req.response().write(sse(usageChunk(body)));
            }
            req.response().end("data: [DONE]\n\n");
        } else {
            json(req, chatAnswer(body, "1 + 1 = 2."));
        }
    }

    static void json(HttpServerRequest req, JsonObject o) {
        req.response().putHeader("Content-Type", "application/json").putHeader("X-Mock", "yes").end(o.encode());
    }

    static JsonObject chatAnswer(JsonObject req, String text) {
        return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion")
                .put("model", req.getString("model", "mock-model"))
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", new JsonObject().put("role", "assistant").put("content", text))
                        .put("finish_reason", "stop")))
                .put("usage", new JsonObject().put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18));
    }

    static String sse(JsonObject o) {
        return "data: " + o.encode() + "\n\n";
    }

    static JsonObject chunk(JsonObject req, String content, boolean usageNull) {
        JsonObject c = new JsonObject().put("id", "c1").put("object", "chat.completion.chunk")
                .put("model", req.getString("model", "mock-model"))
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("delta", new JsonObject().put("content", content))));
        if (usageNull) {
            c.putNull("usage"); // what OpenAI does once include_usage is set
        }
        return c;
    }

    static JsonObject finish(JsonObject req, boolean usageNull) {
        JsonObject c = new JsonObject().put("id", "c1").put("object", "chat.completion.chunk")
                .put("model", req.getString("model", "mock-model"))
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("delta", new JsonObject()).put("finish_reason", "stop")));
        if (usageNull) {
            c.putNull("usage");
        }
        return c;
    }

    static JsonObject usageChunk(JsonObject req) {
        return new JsonObject().put("id", "c1").put("object", "chat.completion.chunk")
                .put("model", req.getString("model", "mock-model"))
                .put("choices", new JsonArray())
                .put("usage", new JsonObject().put("prompt_tokens", 9).put("completion_tokens", 2).put("total_tokens", 11));
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
