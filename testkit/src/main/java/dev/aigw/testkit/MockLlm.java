package dev.aigw.testkit;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible mock LLM upstream for tests, on its own {@link Vertx} instance, bound to
 * 127.0.0.1 on a free port.
 *
 * <p>Endpoints (path suffix based, so every provider's layout works):
 * <ul>
 *   <li>{@code POST .../chat/completions} (OpenAI, DeepSeek, Gemini's OpenAI layer, Vertex openapi,
 *       Azure deployments with {@code ?api-version=}): a {@code chat.completion} object, or an SSE
 *       stream of {@code chat.completion.chunk} events when the body has {@code "stream": true};</li>
 *   <li>{@code POST .../embeddings}: an OpenAI embeddings list (float or base64 encoding);</li>
 *   <li>{@code POST .../publishers/google/models/{m}:predict}: Vertex AI text-embedding predictions;</li>
 *   <li>{@code POST .../token}: a Google OAuth2 token endpoint (JWT-bearer grant);</li>
 *   <li>{@code POST .../v1/messages}: Anthropic's Messages API, a {@code message} or its SSE event
 *       sequence ({@code message_start} … {@code message_stop}, with a {@code ping});
 *       {@code POST .../count_tokens} and {@code GET .../models} answer as Anthropic (or OpenAI) do;</li>
 *   <li>{@code POST .../responses}: OpenAI's Responses API, a {@code response} or its
 *       {@code response.*} events;</li>
 *   <li>{@code POST .../model/{id}/converse} and {@code /converse-stream}: Bedrock Converse, JSON or
 *       {@code application/vnd.amazon.eventstream} frames;</li>
 *   <li>a WebSocket upgrade on {@code .../realtime} (OpenAI's Realtime API, Azure's {@code /openai/realtime}):
 *       recorded as {@link Kind#REALTIME} (handshake headers and query); sends {@code session.created},
 *       answers {@code session.update} with {@code session.updated} and {@code response.create} with
 *       {@code response.created}, text deltas of the content, {@code response.done} (status
 *       {@code completed}, usage with the configured tokens); {@link #realtimeEvents()} lists the
 *       client events it received.</li>
 * </ul>
 * With {@link #toolCall(String)} set, a request that declares tools (and whose last message is not a
 * tool result) is answered with a call of its first tool, in each protocol's shape.
 *
 * <p>Behaviour is set with fluent setters ({@link #reset()} restores the defaults) or per request
 * with headers, which win over the setters: {@code X-Mock-Status}, {@code X-Mock-Delay-Ms} (before
 * the headers), {@code X-Mock-Chunk-Delay-Ms}, {@code X-Mock-Chunks}, {@code X-Mock-Content},
 * {@code X-Mock-Die-After} (close the connection after the role chunk and that many content chunks),
 * {@code X-Mock-Stall-After} (stop after the role chunk and that many content chunks, keeping the
 * connection open), {@code X-Mock-Drop: true} (close the connection without answering),
 * {@code X-Mock-Prompt-Tokens}, {@code X-Mock-Completion-Tokens}.
 *
 * <p>A test that needs an answer none of these give installs its own for one path with
 * {@link #respond(String, BiConsumer)}; {@link #sse}, {@link #contentChunk} and {@link #usageChunk}
 * build OpenAI-shaped stream events for it.
 *
 * <p>Every request is recorded ({@link #requests()}); every streamed answer leaves a
 * {@link StreamTrace} with the send time of each SSE event and whether the client went away
 * before the end ({@link #streams()}).
 */
public final class MockLlm implements AutoCloseable {

    /** What an endpoint is for; requests are counted per kind. */
    public enum Kind { CHAT, EMBEDDINGS, VERTEX_PREDICT, TOKEN, MESSAGES, RESPONSES, CONVERSE, REALTIME, OTHER }

    /**
     * One request as the mock received it.
     *
     * @param index      0-based arrival order
     * @param kind       endpoint kind
     * @param method     HTTP method
     * @param path       path without the query
     * @param query      raw query string, or {@code null}
     * @param headers    request headers, case-insensitive keys
     * @param body       the body as UTF-8 text
     * @param receivedAt when the request head arrived
     */
    public record RecordedRequest(int index, Kind kind, String method, String path, String query,
                                  Map<String, List<String>> headers, String body, Instant receivedAt) {

        /** First value of a header (case-insensitive), or {@code null}. */
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The body parsed as a JSON object (throws if it is not one). */
        public JsonObject json() {
            return parseObject(body);
        }

        /** A decoded query parameter, or {@code null}. */
        public String queryParam(String name) {
            return parseForm(query).get(name);
        }
    }

    /**
     * What happened to one streamed answer.
     *
     * @param requestIndex       the {@link RecordedRequest#index()} it answered
     * @param sentAt             when each SSE event (role, content..., finish, usage, [DONE]) was
     *                           handed to the connection, in order
     * @param completed          whether the stream was written to its end
     * @param clientDisconnected whether the client closed the connection before the end
     */
    public record StreamTrace(int requestIndex, List<Instant> sentAt, boolean completed,
                              boolean clientDisconnected) {
    }

    /** Google's OAuth2 JWT-bearer grant type. */
    public static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private static final String DEFAULT_CONTENT = "Hello from the mock LLM.";
    private static final Pattern CONVERSE = Pattern.compile(".*/model/[^/]+/converse(-stream)?$");
    private static final Pattern VERTEX_PREDICT =
            Pattern.compile(".*/publishers/google/models/([^/:]+):predict$");

    private final Vertx vertx;
    private final HttpServer server;
    private final int port;

    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<StreamState> streams = new CopyOnWriteArrayList<>();
    private final List<String> tokenAssertions = new CopyOnWriteArrayList<>();
    private final List<String> issuedTokens = new CopyOnWriteArrayList<>();
    private final Map<Kind, AtomicInteger> counts = new EnumMap<>(Kind.class);
    private final AtomicInteger arrivals = new AtomicInteger();
    private final AtomicLong tokenSerial = new AtomicLong();
    private final Map<String, BiConsumer<HttpServerRequest, RecordedRequest>> responders = new ConcurrentHashMap<>();
    private final List<JsonObject> realtimeEvents = new CopyOnWriteArrayList<>();

    // Behaviour: written by the test thread, read on the event loop.
    private volatile int status;
    private volatile String errorBody;
    private volatile Duration headerDelay;
    private volatile Duration chunkDelay;
    private volatile int dieAfterChunks;
    private volatile int stallAfterChunks;
    private volatile boolean dropConnection;
    private volatile int chunks;
    private volatile String content;
    private volatile int promptTokens;
    private volatile int completionTokens;
    private volatile int embeddingDimensions;
    private volatile int embeddingTokensPerInput;
    private volatile long tokenExpiresIn;
    private volatile int tokenStatus;
    private volatile Duration tokenDelay;
    private final AtomicInteger failNextCount = new AtomicInteger();
    private volatile int failNextStatus;
    private volatile String toolArgs;

    /** Starts the mock on 127.0.0.1 on a free port. */
    public MockLlm() {
        for (Kind k : Kind.values()) {
            counts.put(k, new AtomicInteger());
        }
        reset();
        this.vertx = Vertx.vertx();
        HttpServer s;
        // Port 0 lets the kernel choose, which avoids the check-then-bind race of a pre-picked port.
        try {
            s = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1")
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("mock LLM failed to start", e);
        }
        this.server = s;
        this.port = s.actualPort();
    }

    /** Base URL, {@code http://127.0.0.1:PORT} (no trailing slash). */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The port the mock listens on. */
    public int port() {
        return port;
    }

    /** Host and port, {@code 127.0.0.1:PORT}, as an APISIX upstream node key. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    // ---------------------------------------------------------------- behaviour

    /** Restores the default behaviour and forgets every recorded request, stream and token. */
    public MockLlm reset() {
        status = 200;
        errorBody = null;
        headerDelay = Duration.ZERO;
        chunkDelay = Duration.ZERO;
        dieAfterChunks = -1;
        stallAfterChunks = -1;
        dropConnection = false;
        chunks = 4;
        content = DEFAULT_CONTENT;
        promptTokens = 23;
        completionTokens = 7;
        embeddingDimensions = 8;
        embeddingTokensPerInput = 5;
        tokenExpiresIn = 3599;
        tokenStatus = 200;
        tokenDelay = Duration.ZERO;
        responders.clear();
        failNextCount.set(0);
        failNextStatus = 500;
        toolArgs = null;
        requests.clear();
        realtimeEvents.clear();
        streams.clear();
        tokenAssertions.clear();
        issuedTokens.clear();
        counts.values().forEach(c -> c.set(0));
        arrivals.set(0);
        return this;
    }

    /** Answer every LLM request (chat, embeddings, predict) with this status and its default error body. */
    public MockLlm status(int status) {
        return status(status, null);
    }

    /** Answer every LLM request with this status and body ({@code null}: the provider's usual error JSON). */
    public MockLlm status(int status, String body) {
        this.status = status;
        this.errorBody = body;
        return this;
    }

    /** The next {@code count} LLM requests fail with {@code status}; later ones follow the other settings. */
    public MockLlm failNext(int count, int status) {
        this.failNextStatus = status;
        this.failNextCount.set(count);
        return this;
    }

    /**
     * Answer requests that declare tools with a call of the first tool, with these JSON arguments
     * (null: never call a tool). A request whose last message is a tool result gets a text answer.
     */
    public MockLlm toolCall(String argumentsJson) {
        this.toolArgs = argumentsJson;
        return this;
    }

    /** Wait this long before sending the response head. */
    public MockLlm headerDelay(Duration delay) {
        this.headerDelay = delay;
        return this;
    }

    /** Wait this long between two SSE events of a stream. */
    public MockLlm chunkDelay(Duration delay) {
        this.chunkDelay = delay;
        return this;
    }

    /** Close the connection after the role chunk and {@code k} content chunks ({@code -1}: never). */
    public MockLlm dieAfterChunks(int k) {
        this.dieAfterChunks = k;
        return this;
    }

    /**
     * Stop a stream after the role chunk and {@code k} content chunks and send nothing more, keeping
     * the connection open until the client goes away ({@code -1}: never stall), as a provider that
     * hangs mid-answer.
     */
    public MockLlm stallAfterChunks(int k) {
        this.stallAfterChunks = k;
        return this;
    }

    /** Close the connection without answering (after reading the request). */
    public MockLlm dropConnection(boolean drop) {
        this.dropConnection = drop;
        return this;
    }

    /**
     * Number of content chunks of a stream. The content is cut into this many contiguous non-empty
     * pieces; a content shorter than that gives one piece per character.
     */
    public MockLlm chunks(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("chunks must be >= 1");
        }
        this.chunks = n;
        return this;
    }

    /** The assistant's answer text (whole in JSON answers, cut into chunks in streams). */
    public MockLlm content(String text) {
        this.content = text;
        return this;
    }

    /** Token usage reported for chat (default 23 prompt / 7 completion). */
    public MockLlm usage(int promptTokens, int completionTokens) {
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
        return this;
    }

    /** Length of each embedding vector (default 8). */
    public MockLlm embeddingDimensions(int n) {
        this.embeddingDimensions = n;
        return this;
    }

    /** Tokens counted per embeddings input (default 5); OpenAI usage is this times the input count. */
    public MockLlm embeddingTokensPerInput(int n) {
        this.embeddingTokensPerInput = n;
        return this;
    }

    /** {@code expires_in} of issued OAuth tokens, in seconds (default 3599). */
    public MockLlm tokenExpiresIn(long seconds) {
        this.tokenExpiresIn = seconds;
        return this;
    }

    /** Status of the OAuth token endpoint (non-200: Google's {@code invalid_grant} error). */
    public MockLlm tokenStatus(int status) {
        this.tokenStatus = status;
        return this;
    }

    /**
     * Wait this long before answering the OAuth token endpoint (default none), so that requests
     * arriving meanwhile find the exchange still under way.
     */
    public MockLlm tokenDelay(Duration delay) {
        this.tokenDelay = delay;
        return this;
    }

    /**
     * Answers requests to exactly this path with {@code responder} instead of the built-in endpoints
     * (until {@link #reset()}). The request is recorded first; the responder gets the Vert.x request
     * (body already read) and its record, runs on the mock's event loop and must not block.
     */
    public MockLlm respond(String path, BiConsumer<HttpServerRequest, RecordedRequest> responder) {
        responders.put(path, responder);
        return this;
    }

    // ---------------------------------------------------------------- what happened

    /** Every request so far, in arrival order (a snapshot). */
    public List<RecordedRequest> requests() {
        List<RecordedRequest> copy = new ArrayList<>(requests);
        copy.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return Collections.unmodifiableList(copy);
    }

    /** Requests of one kind, in arrival order. */
    public List<RecordedRequest> requests(Kind kind) {
        return requests().stream().filter(r -> r.kind() == kind).toList();
    }

    /** The last request, or {@code null} if none. */
    public RecordedRequest lastRequest() {
        List<RecordedRequest> all = requests();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** How many requests of this kind arrived. */
    public int count(Kind kind) {
        return counts.get(kind).get();
    }

    /** Total requests of every kind. */
    public int count() {
        return requests.size();
    }

    /** Every streamed answer so far (snapshots). */
    public List<StreamTrace> streams() {
        return streams.stream().map(StreamState::snapshot).toList();
    }

    /** The JWT assertions posted to the token endpoint, in order. */
    public List<String> tokenAssertions() {
        return List.copyOf(tokenAssertions);
    }

    /** The access tokens handed out, in order. */
    public List<String> issuedTokens() {
        return List.copyOf(issuedTokens);
    }

    /** Waits (bounded) until at least {@code n} requests arrived; returns whether they did. */
    public boolean awaitRequests(int n, Duration timeout) {
        return await(() -> requests.size() >= n, timeout);
    }

    /** Waits (bounded) until some stream saw its client disconnect early; returns whether one did. */
    public boolean awaitClientDisconnect(Duration timeout) {
        return await(() -> streams.stream().anyMatch(s -> s.clientDisconnected), timeout);
    }

    /** Waits (bounded) until {@code condition} holds, polling; returns its last value. */
    public static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return condition.getAsBoolean();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
    }

    /** Stops the server and its Vert.x instance (bounded wait). */
    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing anyway
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort: a test must not fail in its cleanup
        }
    }

    // ---------------------------------------------------------------- serving

    /** Per-request behaviour: the setters, overridden by X-Mock-* headers. */
    private record Behavior(int status, String errorBody, long headerDelayMs, long chunkDelayMs,
                            int dieAfter, int stallAfter, boolean drop, int chunks, String content,
                            int promptTokens, int completionTokens) {
    }

    private static final class StreamState {
        final int requestIndex;
        final List<Instant> sentAt = new CopyOnWriteArrayList<>();
        volatile boolean completed;
        volatile boolean clientDisconnected;
        volatile boolean selfClosed;
        volatile long timerId = -1;

        StreamState(int requestIndex) {
            this.requestIndex = requestIndex;
        }

        StreamTrace snapshot() {
            return new StreamTrace(requestIndex, List.copyOf(sentAt), completed, clientDisconnected);
        }
    }

    /** The client events (JSON text messages) received on Realtime sessions, in order. */
    public List<JsonObject> realtimeEvents() {
        return List.copyOf(realtimeEvents);
    }

    private void handle(HttpServerRequest req) {
        Instant receivedAt = Instant.now();
        int index = arrivals.getAndIncrement();
        if (req.path().endsWith("/realtime") && req.canUpgradeToWebSocket()) {
            RecordedRequest recorded = new RecordedRequest(index, Kind.REALTIME, req.method().name(), req.path(),
                    req.query(), copyHeaders(req.headers()), "", receivedAt);
            requests.add(recorded);
            counts.get(Kind.REALTIME).incrementAndGet();
            realtime(req);
            return;
        }
        req.body().onComplete(ar -> {
            String body = ar.succeeded() ? ar.result().toString(StandardCharsets.UTF_8) : "";
            Kind kind = classify(req.method().name(), req.path());
            RecordedRequest recorded = new RecordedRequest(index, kind, req.method().name(), req.path(),
                    req.query(), copyHeaders(req.headers()), body, receivedAt);
            requests.add(recorded);
            counts.get(kind).incrementAndGet();
            if (ar.failed()) {
                return; // the connection is gone; nothing to answer
            }
            try {
                BiConsumer<HttpServerRequest, RecordedRequest> responder = responders.get(req.path());
                if (responder != null) {
                    responder.accept(req, recorded);
                    return;
                }
                dispatch(req, kind, index, body);
            } catch (RuntimeException e) {
                if (!req.response().ended() && !req.response().closed()) {
                    req.response().setStatusCode(500).end("mock error: " + e);
                }
            }
        });
    }

    /** OpenAI's Realtime API over a WebSocket, in its event shapes (text responses). */
    private void realtime(HttpServerRequest req) {
        String model = req.getParam("model") != null ? req.getParam("model")
                : req.getParam("deployment") != null ? req.getParam("deployment") : "gpt-4o-realtime-preview";
        String text = content;
        int in = promptTokens;
        int out = completionTokens;
        req.toWebSocket().onSuccess(ws -> {
            String sessionId = "sess_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
            JsonObject session = new JsonObject().put("id", sessionId).put("object", "realtime.session")
                    .put("model", model).put("modalities", new io.vertx.core.json.JsonArray().add("text").add("audio"));
            ws.writeTextMessage(event("session.created").put("session", session).encode());
            ws.textMessageHandler(msg -> {
                JsonObject ev;
                try {
                    ev = new JsonObject(msg);
                } catch (RuntimeException e) {
                    ws.writeTextMessage(event("error").put("error", new JsonObject().put("type", "invalid_request_error")
                            .put("message", "invalid JSON")).encode());
                    return;
                }
                realtimeEvents.add(ev);
                switch (ev.getString("type", "")) {
                    case "session.update" -> ws.writeTextMessage(event("session.updated").put("session", session).encode());
                    case "response.create" -> {
                        String rid = "resp_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
                        JsonObject response = new JsonObject().put("id", rid).put("object", "realtime.response")
                                .put("status", "in_progress").put("output", new io.vertx.core.json.JsonArray());
                        ws.writeTextMessage(event("response.created").put("response", response.copy()).encode());
                        for (String piece : text.split("(?<= )")) {
                            ws.writeTextMessage(event("response.text.delta").put("response_id", rid)
                                    .put("item_id", "item_1").put("output_index", 0).put("content_index", 0)
                                    .put("delta", piece).encode());
                        }
                        JsonObject usage = new JsonObject().put("total_tokens", in + out).put("input_tokens", in)
                                .put("output_tokens", out)
                                .put("input_token_details", new JsonObject().put("text_tokens", in).put("audio_tokens", 0)
                                        .put("cached_tokens", 0))
                                .put("output_token_details", new JsonObject().put("text_tokens", out).put("audio_tokens", 0));
                        response.put("status", "completed").put("usage", usage).put("output", new io.vertx.core.json.JsonArray()
                                .add(new JsonObject().put("id", "item_1").put("type", "message").put("role", "assistant")
                                        .put("content", new io.vertx.core.json.JsonArray().add(new JsonObject()
                                                .put("type", "text").put("text", text)))));
                        ws.writeTextMessage(event("response.done").put("response", response).encode());
                    }
                    default -> { }
                }
            });
        });
    }

    private static JsonObject event(String type) {
        return new JsonObject().put("type", type)
                .put("event_id", "event_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20));
    }

    private static Kind classify(String method, String path) {
        if (!"POST".equals(method)) {
            return Kind.OTHER;
        }
        if (path.endsWith("/chat/completions")) {
            return Kind.CHAT;
        }
        if (path.endsWith("/embeddings")) {
            return Kind.EMBEDDINGS;
        }
        if (VERTEX_PREDICT.matcher(path).matches()) {
            return Kind.VERTEX_PREDICT;
        }
        if (path.equals("/token") || path.endsWith("/token")) {
            return Kind.TOKEN;
        }
        if (path.endsWith("/v1/messages")) {
            return Kind.MESSAGES;
        }
        if (path.endsWith("/responses")) {
            return Kind.RESPONSES;
        }
        if (CONVERSE.matcher(path).matches()) {
            return Kind.CONVERSE;
        }
        return Kind.OTHER;
    }

    private void dispatch(HttpServerRequest req, Kind kind, int index, String body) {
        HttpServerResponse resp = req.response();
        if (kind == Kind.TOKEN) {
            long delayMs = tokenDelay.toMillis();
            if (delayMs > 0) {
                vertx.setTimer(delayMs, t -> answerToken(resp, body));
            } else {
                answerToken(resp, body);
            }
            return;
        }
        if (kind == Kind.OTHER && "POST".equals(req.method().name()) && req.path().endsWith("/count_tokens")) {
            sendJson(resp, 200, MockProtocols.countTokens(body.isBlank() ? new JsonObject() : new JsonObject(body)).encode());
            return;
        }
        if (kind == Kind.OTHER && "GET".equals(req.method().name()) && req.path().endsWith("/models")) {
            sendJson(resp, 200, MockProtocols.models(req.getHeader("anthropic-version") != null).encode());
            return;
        }
        if (kind == Kind.OTHER) {
            sendJson(resp, 404, openAiError("Invalid URL (" + req.method() + " " + req.path() + ")",
                    "invalid_request_error", null).encode());
            return;
        }
        Behavior b = behavior(req.headers());
        if (b.drop()) {
            req.connection().close();
            return;
        }
        Runnable answer = () -> answer(req, kind, index, body, b);
        if (b.headerDelayMs() > 0) {
            vertx.setTimer(b.headerDelayMs(), t -> {
                if (!resp.closed()) {
                    answer.run();
                }
            });
        } else {
            answer.run();
        }
    }

    private Behavior behavior(MultiMap h) {
        int st = this.status;
        String err = this.errorBody;
        int failing = failNextCount.getAndUpdate(n -> n > 0 ? n - 1 : 0);
        if (failing > 0) {
            st = failNextStatus;
            err = null;
        }
        if (h.get("X-Mock-Status") != null) {
            st = Integer.parseInt(h.get("X-Mock-Status").trim());
            err = null;
        }
        return new Behavior(st, err,
                headerLong(h, "X-Mock-Delay-Ms", headerDelay.toMillis()),
                headerLong(h, "X-Mock-Chunk-Delay-Ms", chunkDelay.toMillis()),
                (int) headerLong(h, "X-Mock-Die-After", dieAfterChunks),
                (int) headerLong(h, "X-Mock-Stall-After", stallAfterChunks),
                h.get("X-Mock-Drop") != null ? Boolean.parseBoolean(h.get("X-Mock-Drop").trim()) : dropConnection,
                Math.max(1, (int) headerLong(h, "X-Mock-Chunks", chunks)),
                h.get("X-Mock-Content") != null ? h.get("X-Mock-Content") : content,
                (int) headerLong(h, "X-Mock-Prompt-Tokens", promptTokens),
                (int) headerLong(h, "X-Mock-Completion-Tokens", completionTokens));
    }

    private static long headerLong(MultiMap h, String name, long dflt) {
        String v = h.get(name);
        return v == null ? dflt : Long.parseLong(v.trim());
    }

    private void answer(HttpServerRequest req, Kind kind, int index, String body, Behavior b) {
        HttpServerResponse resp = req.response();
        if (b.status() >= 400) {
            String errBody = b.errorBody() != null ? b.errorBody()
                    : kind == Kind.VERTEX_PREDICT ? googleError(b.status()).encode()
                    : kind == Kind.MESSAGES ? MockProtocols.anthropicError(b.status()).encode()
                    : kind == Kind.CONVERSE ? new JsonObject().put("message", "mock error " + b.status()).encode()
                    : defaultOpenAiError(b.status()).encode();
            if (b.status() == 429) {
                resp.putHeader("retry-after", "1");
            }
            sendJson(resp, b.status(), errBody);
            return;
        }
        JsonObject json;
        try {
            json = body.isBlank() ? new JsonObject() : parseObject(body);
        } catch (DecodeException e) {
            sendJson(resp, 400, openAiError("We could not parse the JSON body of your request.",
                    "invalid_request_error", null).encode());
            return;
        }
        switch (kind) {
            case CHAT -> {
                String tool = MockProtocols.toolToCall(json, toolArgs);
                if (json.getBoolean("stream", false)) {
                    stream(req, index, json, b, tool);
                } else {
                    JsonObject c = chatCompletion(json, b);
                    if (tool != null) {
                        JsonObject choice = c.getJsonArray("choices").getJsonObject(0);
                        choice.getJsonObject("message").putNull("content").put("tool_calls", new JsonArray().add(
                                new JsonObject().put("id", MockProtocols.id("call_")).put("type", "function")
                                        .put("function", new JsonObject().put("name", tool).put("arguments", toolArgs))));
                        choice.put("finish_reason", "tool_calls");
                    }
                    sendJson(resp, 200, c.encode());
                }
            }
            case MESSAGES -> {
                String tool = MockProtocols.toolToCall(json, toolArgs);
                if (json.getBoolean("stream", false)) {
                    streamFrames(req, index, sseFrames(MockProtocols.anthropicStream(json,
                            pieces(b.content(), b.chunks()), tool, toolArgs, b.promptTokens(), b.completionTokens())),
                            "text/event-stream; charset=utf-8", b);
                } else {
                    sendJson(resp, 200, MockProtocols.anthropicMessage(json, b.content(), tool, toolArgs,
                            b.promptTokens(), b.completionTokens()).encode());
                }
            }
            case RESPONSES -> {
                if (json.getBoolean("stream", false)) {
                    streamFrames(req, index, sseFrames(MockProtocols.responsesStream(json,
                            pieces(b.content(), b.chunks()), b.content(), b.promptTokens(), b.completionTokens())),
                            "text/event-stream; charset=utf-8", b);
                } else {
                    sendJson(resp, 200, MockProtocols.responsesAnswer(json, b.content(), b.promptTokens(),
                            b.completionTokens()).encode());
                }
            }
            case CONVERSE -> {
                String tool = MockProtocols.toolToCall(json, toolArgs);
                if (req.path().endsWith("/converse-stream")) {
                    streamFrames(req, index, MockProtocols.converseStream(pieces(b.content(), b.chunks()), tool,
                            toolArgs, b.promptTokens(), b.completionTokens()), "application/vnd.amazon.eventstream", b);
                } else {
                    sendJson(resp, 200, MockProtocols.converseAnswer(b.content(), tool, toolArgs,
                            b.promptTokens(), b.completionTokens()).encode());
                }
            }
            case EMBEDDINGS -> sendJson(resp, 200, embeddings(json).encode());
            case VERTEX_PREDICT -> sendJson(resp, 200, vertexPredict(json).encode());
            default -> sendJson(resp, 404, "{}");
        }
    }

    private static void sendJson(HttpServerResponse resp, int status, String body) {
        if (resp.closed() || resp.ended()) {
            return;
        }
        resp.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("x-request-id", "req_" + UUID.randomUUID().toString().replace("-", ""))
                .end(body);
    }

    // ---------------------------------------------------------------- chat

    private static String model(JsonObject req) {
        Object m = req.getValue("model");
        return m instanceof String s ? s : "mock-model";
    }

    private static String completionId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    private static JsonObject usageJson(int prompt, int completion) {
        return new JsonObject()
                .put("prompt_tokens", prompt)
                .put("completion_tokens", completion)
                .put("total_tokens", prompt + completion)
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", 0).put("audio_tokens", 0))
                .put("completion_tokens_details", new JsonObject()
                        .put("reasoning_tokens", 0).put("audio_tokens", 0)
                        .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0));
    }

    private static JsonObject chatCompletion(JsonObject req, Behavior b) {
        JsonObject message = new JsonObject()
                .put("role", "assistant")
                .put("content", b.content())
                .putNull("refusal")
                .put("annotations", new JsonArray());
        return new JsonObject()
                .put("id", completionId())
                .put("object", "chat.completion")
                .put("created", Instant.now().getEpochSecond())
                .put("model", model(req))
                .put("choices", new JsonArray().add(new JsonObject()
                        .put("index", 0)
                        .put("message", message)
                        .putNull("logprobs")
                        .put("finish_reason", "stop")))
                .put("usage", usageJson(b.promptTokens(), b.completionTokens()))
                .put("service_tier", "default")
                .put("system_fingerprint", "fp_mock");
    }

    /** Cuts {@code text} into {@code n} contiguous non-empty pieces (fewer if it is shorter). */
    static List<String> pieces(String text, int n) {
        if (text.isEmpty()) {
            return List.of("");
        }
        int parts = Math.min(n, text.length());
        List<String> out = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            out.add(text.substring(i * text.length() / parts, (i + 1) * text.length() / parts));
        }
        return out;
    }

    private void stream(HttpServerRequest req, int index, JsonObject json, Behavior b, String tool) {
        HttpServerResponse resp = req.response();
        boolean includeUsage = json.getJsonObject("stream_options", new JsonObject())
                .getBoolean("include_usage", false);
        String id = completionId();
        long created = Instant.now().getEpochSecond();
        String model = model(json);

        List<String> events = new ArrayList<>();
        events.add(chunk(id, created, model, new JsonObject().put("role", "assistant").put("content", "")
                .putNull("refusal"), null, includeUsage).encode());
        if (tool != null) {
            String args = toolArgs;
            events.add(chunk(id, created, model, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
                    .put("index", 0).put("id", MockProtocols.id("call_")).put("type", "function")
                    .put("function", new JsonObject().put("name", tool).put("arguments", "")))), null, includeUsage).encode());
            int half = args.length() / 2;
            for (String part : List.of(args.substring(0, half), args.substring(half))) {
                events.add(chunk(id, created, model, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
                        .put("index", 0).put("function", new JsonObject().put("arguments", part)))), null, includeUsage).encode());
            }
        } else {
            for (String t : pieces(b.content(), b.chunks())) {
                events.add(chunk(id, created, model, new JsonObject().put("content", t), null, includeUsage).encode());
            }
        }
        events.add(chunk(id, created, model, new JsonObject(), tool != null ? "tool_calls" : "stop", includeUsage).encode());
        if (includeUsage) {
            events.add(usageChunk(id, created, model, b.promptTokens(), b.completionTokens()).encode());
        }
        events.add("[DONE]");
        List<Buffer> frames = new ArrayList<>();
        for (String e : events) {
            frames.add(Buffer.buffer("data: " + e + "\n\n", "UTF-8"));
        }
        streamFrames(req, index, frames, "text/event-stream; charset=utf-8", b);
    }

    private static List<Buffer> sseFrames(List<String> events) {
        List<Buffer> out = new ArrayList<>(events.size());
        for (String e : events) {
            out.add(Buffer.buffer(e, "UTF-8"));
        }
        return out;
    }

    /** Streams prepared frames (SSE events or event-stream messages), honouring die/stall/delay. */
    private void streamFrames(HttpServerRequest req, int index, List<Buffer> events, String contentType, Behavior b) {
        HttpServerResponse resp = req.response();
        // Stop after the role chunk and dieAfter content chunks, then drop the connection.
        int stopAt = b.dieAfter() >= 0 ? Math.min(events.size(), 1 + b.dieAfter()) : -1;
        // Or send nothing more from there on, leaving the connection open.
        int stallAt = b.stallAfter() >= 0 ? Math.min(events.size(), 1 + b.stallAfter()) : -1;

        StreamState state = new StreamState(index);
        streams.add(state);
        resp.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", contentType)
                .putHeader("cache-control", "no-cache")
                .putHeader("x-request-id", "req_" + UUID.randomUUID().toString().replace("-", ""));
        resp.closeHandler(v -> {
            if (!state.completed && !state.selfClosed) {
                state.clientDisconnected = true;
                if (state.timerId >= 0) {
                    vertx.cancelTimer(state.timerId);
                }
            }
        });
        writeEvent(req, state, events, 0, stopAt, stallAt, b.chunkDelayMs());
    }

    /** Writes events from {@code start} on: in one go when there is no delay, else one per timer tick. */
    private void writeEvent(HttpServerRequest req, StreamState state, List<Buffer> events, int start,
                            int stopAt, int stallAt, long delayMs) {
        HttpServerResponse resp = req.response();
        int i = start;
        while (true) {
            if (state.clientDisconnected || resp.closed()) {
                return;
            }
            if (i == stallAt) {
                return; // the closeHandler still notices the client leaving
            }
            if (i == stopAt) {
                state.selfClosed = true;
                req.connection().close();
                return;
            }
            if (i == events.size()) {
                state.completed = true;
                resp.end();
                return;
            }
            state.sentAt.add(Instant.now());
            var written = resp.write(events.get(i));
            int next = i + 1;
            if (next == stopAt) {
                // Let the chunks reach the socket before the connection is cut.
                written.onComplete(ar -> writeEvent(req, state, events, next, stopAt, stallAt, delayMs));
                return;
            }
            if (delayMs > 0 && next < events.size()) {
                state.timerId = vertx.setTimer(delayMs, t -> writeEvent(req, state, events, next, stopAt, stallAt, delayMs));
                return;
            }
            i = next;
        }
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta,
                                    String finishReason, boolean includeUsage) {
        JsonObject choice = new JsonObject().put("index", 0).put("delta", delta).putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        JsonObject c = new JsonObject()
                .put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("service_tier", "default").put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray().add(choice));
        if (includeUsage) {
            c.putNull("usage");
        }
        return c;
    }

    private static JsonObject usageChunk(String id, long created, String model, int prompt, int completion) {
        return new JsonObject()
                .put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model).put("service_tier", "default").put("system_fingerprint", "fp_mock")
                .put("choices", new JsonArray())
                .put("usage", usageJson(prompt, completion));
    }

    /** One SSE event carrying {@code json}: {@code data: <json>}, then a blank line. */
    public static String sse(JsonObject json) {
        return "data: " + json.encode() + "\n\n";
    }

    /** A {@code chat.completion.chunk} with one content delta, for a {@link #respond custom answer}. */
    public static JsonObject contentChunk(String model, String content) {
        return chunk(completionId(), Instant.now().getEpochSecond(), model,
                new JsonObject().put("content", content), null, false);
    }

    /** The usage-only {@code chat.completion.chunk} (no choices) OpenAI ends a stream with when asked. */
    public static JsonObject usageChunk(String model, int promptTokens, int completionTokens) {
        return usageChunk(completionId(), Instant.now().getEpochSecond(), model, promptTokens, completionTokens);
    }

    // ---------------------------------------------------------------- embeddings

    /** The inputs of an OpenAI embeddings request as texts (token arrays become their numbers joined). */
    private static List<String> inputs(Object input) {
        List<String> out = new ArrayList<>();
        if (input instanceof String s) {
            out.add(s);
        } else if (input instanceof JsonArray a) {
            if (!a.isEmpty() && a.getValue(0) instanceof Number) {
                out.add(a.encode());
            } else {
                for (Object o : a) {
                    out.add(o instanceof String s ? s : String.valueOf(o));
                }
            }
        }
        return out;
    }

    /** The embedding vector the mock returns for {@code text} (embeddings and Vertex predict alike). */
    public JsonArray embedding(String text) {
        JsonArray arr = new JsonArray();
        for (float f : vector(text)) {
            arr.add((double) f);
        }
        return arr;
    }

    private float[] vector(String text) {
        float[] v = new float[embeddingDimensions];
        int seed = text.hashCode();
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) Math.sin(seed + j * 0.7);
        }
        return v;
    }

    private JsonObject embeddings(JsonObject req) {
        List<String> texts = inputs(req.getValue("input"));
        boolean base64 = "base64".equals(req.getString("encoding_format"));
        JsonArray data = new JsonArray();
        for (int i = 0; i < texts.size(); i++) {
            float[] v = vector(texts.get(i));
            Object embedding;
            if (base64) {
                ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    bb.putFloat(f);
                }
                embedding = Base64.getEncoder().encodeToString(bb.array());
            } else {
                JsonArray arr = new JsonArray();
                for (float f : v) {
                    arr.add((double) f);
                }
                embedding = arr;
            }
            data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", embedding));
        }
        int tokens = embeddingTokensPerInput * texts.size();
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model(req))
                .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
    }

    private JsonObject vertexPredict(JsonObject req) {
        JsonArray instances = req.getJsonArray("instances", new JsonArray());
        JsonArray predictions = new JsonArray();
        int chars = 0;
        for (Object o : instances) {
            String text = o instanceof JsonObject jo ? jo.getString("content", "") : String.valueOf(o);
            chars += text.length();
            JsonArray values = new JsonArray();
            for (float f : vector(text)) {
                values.add((double) f);
            }
            predictions.add(new JsonObject().put("embeddings", new JsonObject()
                    .put("statistics", new JsonObject().put("truncated", false)
                            .put("token_count", embeddingTokensPerInput))
                    .put("values", values)));
        }
        return new JsonObject()
                .put("predictions", predictions)
                .put("metadata", new JsonObject().put("billableCharacterCount", chars));
    }

    // ---------------------------------------------------------------- OAuth token

    private void answerToken(HttpServerResponse resp, String body) {
        Map<String, String> form = parseForm(body);
        String assertion = form.get("assertion");
        if (assertion != null) {
            tokenAssertions.add(assertion);
        }
        if (!JWT_BEARER.equals(form.get("grant_type"))) {
            sendJson(resp, 400, new JsonObject().put("error", "unsupported_grant_type")
                    .put("error_description", "Invalid grant_type: " + form.get("grant_type")).encode());
            return;
        }
        if (assertion == null || assertion.isEmpty()) {
            sendJson(resp, 400, new JsonObject().put("error", "invalid_request")
                    .put("error_description", "Missing required parameter: assertion").encode());
            return;
        }
        int st = tokenStatus;
        if (st != 200) {
            sendJson(resp, st, new JsonObject().put("error", "invalid_grant")
                    .put("error_description", "Invalid JWT Signature.").encode());
            return;
        }
        String token = "ya29.mock-token-" + tokenSerial.incrementAndGet();
        issuedTokens.add(token);
        sendJson(resp, 200, new JsonObject()
                .put("access_token", token)
                .put("expires_in", tokenExpiresIn)
                .put("token_type", "Bearer").encode());
    }

    static Map<String, String> parseForm(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    // ---------------------------------------------------------------- errors

    private static JsonObject openAiError(String message, String type, String code) {
        JsonObject err = new JsonObject().put("message", message).put("type", type).putNull("param");
        if (code == null) {
            err.putNull("code");
        } else {
            err.put("code", code);
        }
        return new JsonObject().put("error", err);
    }

    /** The error body OpenAI sends for a status. */
    private static JsonObject defaultOpenAiError(int status) {
        return switch (status) {
            case 400 -> openAiError("Invalid request.", "invalid_request_error", null);
            case 401 -> openAiError("Incorrect API key provided. You can find your API key at "
                    + "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");
            case 403 -> openAiError("You are not allowed to sample from this model", "invalid_request_error", null);
            case 404 -> openAiError("The model does not exist or you do not have access to it.",
                    "invalid_request_error", "model_not_found");
            case 429 -> openAiError("Rate limit reached for requests. Please try again in 1s.",
                    "requests", "rate_limit_exceeded");
            case 503 -> openAiError("The engine is currently overloaded, please try again later",
                    "server_error", null);
            default -> openAiError("The server had an error while processing your request. Sorry about that!",
                    "server_error", null);
        };
    }

    /** The error body Google APIs send for a status. */
    private static JsonObject googleError(int status) {
        String st = switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> "INTERNAL";
        };
        return new JsonObject().put("error", new JsonObject()
                .put("code", status).put("message", "mock " + st.toLowerCase(Locale.ROOT)).put("status", st));
    }

    private static Map<String, List<String>> copyHeaders(MultiMap headers) {
        Map<String, List<String>> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : headers.names()) {
            out.put(name, List.copyOf(headers.getAll(name)));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * A JSON object as the providers parse it: no 20 M-character limit on one string (Jackson's default),
     * since real providers accept large inline content (base64 images, long documents).
     */
    static JsonObject parseObject(String json) {
        try (com.fasterxml.jackson.core.JsonParser p = UNLIMITED_STRINGS.createParser(json)) {
            Object v = io.vertx.core.json.jackson.JacksonCodec.fromParser(p, Object.class);
            if (v instanceof JsonObject o) {
                return o;
            }
            throw new DecodeException("not a JSON object");
        } catch (java.io.IOException e) {
            throw new DecodeException("invalid JSON: " + e.getMessage());
        }
    }

    private static final com.fasterxml.jackson.core.JsonFactory UNLIMITED_STRINGS =
            com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE).build())
                    .build();
}
