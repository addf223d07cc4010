package dev.aigw.t;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.aigw.testkit.GcpServiceAccount;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.MockLlm.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the mock upstream is OpenAI-compatible by talking to it with the official OpenAI Java SDK,
 * and checks its fault controls and its non-OpenAI endpoints (Vertex predict, Google OAuth).
 */
class MockLlmTest {

    private static MockLlm mock;
    private static OpenAIClient sdk;
    private static final HttpClient RAW = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        mock = new MockLlm();
        sdk = client(mock.url() + "/v1");
    }

    @AfterAll
    static void stop() {
        sdk.close();
        mock.close();
    }

    @BeforeEach
    void reset() {
        mock.reset();
    }

    private static OpenAIClient client(String baseUrl) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey("sk-test").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello");
    }

    private static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(mock.url() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return RAW.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /** The JSON payloads of the {@code data:} lines of an SSE body. */
    private static List<String> sseData(String body) {
        return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }

    @Test
    void chatCompletionThroughTheSdk() {
        ChatCompletion c = sdk.chat().completions().create(chat("gpt-4o-mini").build());

        assertEquals("gpt-4o-mini", c.model(), "the request's model is echoed");
        assertTrue(c.id().startsWith("chatcmpl-"), c.id());
        assertEquals("Hello from the mock LLM.", c.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
        var usage = c.usage().orElseThrow();
        assertEquals(23, usage.promptTokens());
        assertEquals(7, usage.completionTokens());
        assertEquals(30, usage.totalTokens());

        MockLlm.RecordedRequest r = mock.lastRequest();
        assertEquals(Kind.CHAT, r.kind());
        assertEquals("POST", r.method());
        assertEquals("/v1/chat/completions", r.path());
        assertEquals("Bearer sk-test", r.header("authorization"));
        assertEquals("Say hello", r.json().getJsonArray("messages").getJsonObject(0).getString("content"));
        assertEquals(1, mock.count(Kind.CHAT));
        assertTrue(mock.streams().isEmpty());
    }

    @Test
    void usageAndContentAreConfigurable() {
        mock.usage(100, 40).content("Configured answer");
        ChatCompletion c = sdk.chat().completions().create(chat("m1").build());
        assertEquals("Configured answer", c.choices().get(0).message().content().orElseThrow());
        assertEquals(140, c.usage().orElseThrow().totalTokens());
    }

    @Test
    void streamingWithoutUsage() {
        mock.chunks(5).content("abcdefghij");
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> s = sdk.chat().completions().createStreaming(chat("gpt-4o").build())) {
            chunks = s.stream().toList();
        }
        // role chunk, 5 content chunks, finish chunk; no usage chunk
        assertEquals(7, chunks.size());
        assertEquals("abcdefghij", chunks.stream().flatMap(c -> c.choices().stream())
                .map(ch -> ch.delta().content().orElse("")).collect(Collectors.joining()));
        assertTrue(chunks.stream().allMatch(c -> c.usage().isEmpty()));
        assertTrue(chunks.stream().allMatch(c -> c.model().equals("gpt-4o")));
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP,
                chunks.get(6).choices().get(0).finishReason().orElseThrow());
        assertEquals(1, chunks.stream().map(ChatCompletionChunk::id).distinct().count(), "one id per stream");

        MockLlm.StreamTrace trace = mock.streams().get(0);
        assertTrue(trace.completed());
        assertFalse(trace.clientDisconnected());
        assertEquals(8, trace.sentAt().size(), "7 chunks and [DONE]");
    }

    @Test
    void streamingWithUsageWhenAsked() {
        List<ChatCompletionChunk> chunks;
        var params = chat("gpt-4o").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = sdk.chat().completions().createStreaming(params)) {
            chunks = s.stream().toList();
        }
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        assertEquals(23, last.usage().orElseThrow().promptTokens());
        assertEquals(7, last.usage().orElseThrow().completionTokens());
        assertEquals(1, chunks.stream().filter(c -> c.usage().isPresent()).count());
        assertEquals("Hello from the mock LLM.", chunks.stream().flatMap(c -> c.choices().stream())
                .map(ch -> ch.delta().content().orElse("")).collect(Collectors.joining()));
    }

    @Test
    void rawSseFollowsOpenAisFraming() throws Exception {
        HttpResponse<String> withUsage = post("/v1/chat/completions", "application/json",
                "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}");
        assertEquals(200, withUsage.statusCode());
        assertTrue(withUsage.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<String> data = sseData(withUsage.body());
        assertEquals("[DONE]", data.get(data.size() - 1));
        List<JsonObject> events = data.subList(0, data.size() - 1).stream().map(JsonObject::new).toList();
        for (JsonObject e : events) {
            assertEquals("chat.completion.chunk", e.getString("object"));
            assertTrue(e.containsKey("usage"), "with include_usage every chunk carries usage: " + e);
        }
        assertEquals("assistant", events.get(0).getJsonArray("choices").getJsonObject(0)
                .getJsonObject("delta").getString("role"));
        JsonObject usageChunk = events.get(events.size() - 1);
        assertEquals(new JsonArray(), usageChunk.getJsonArray("choices"));
        assertEquals(30, usageChunk.getJsonObject("usage").getInteger("total_tokens"));
        assertTrue(events.subList(0, events.size() - 1).stream().allMatch(e -> e.getValue("usage") == null));

        HttpResponse<String> without = post("/v1/chat/completions", "application/json",
                "{\"model\":\"m\",\"stream\":true,\"messages\":[]}");
        List<String> plain = sseData(without.body());
        assertFalse(plain.stream().anyMatch(d -> d.contains("\"usage\"")), "no usage key unless asked");
        assertEquals("[DONE]", plain.get(plain.size() - 1));
    }

    @Test
    void clientSeesFirstChunkBeforeTheLastIsSent() {
        mock.chunks(8).chunkDelay(Duration.ofMillis(40));
        AtomicReference<Instant> firstSeen = new AtomicReference<>();
        try (StreamResponse<ChatCompletionChunk> s = sdk.chat().completions().createStreaming(chat("m").build())) {
            s.stream().forEach(c -> firstSeen.compareAndSet(null, Instant.now()));
        }
        List<Instant> sent = mock.streams().get(0).sentAt();
        assertTrue(firstSeen.get().isBefore(sent.get(sent.size() - 1)),
                "first chunk seen " + firstSeen.get() + ", last sent " + sent.get(sent.size() - 1));
    }

    @Test
    void clientDisconnectIsRecorded() {
        mock.chunks(20).chunkDelay(Duration.ofMillis(50));
        try (StreamResponse<ChatCompletionChunk> s = sdk.chat().completions().createStreaming(chat("m").build())) {
            Iterator<ChatCompletionChunk> it = s.stream().iterator();
            it.next();
            it.next();
        } // closing mid-stream drops the connection
        assertTrue(mock.awaitClientDisconnect(Duration.ofSeconds(5)));
        MockLlm.StreamTrace trace = mock.streams().get(0);
        assertFalse(trace.completed());
        assertTrue(trace.sentAt().size() < 23, "stopped sending after the disconnect: " + trace.sentAt().size());
    }

    @Test
    void dieMidStream() {
        mock.chunks(6).content("abcdef").dieAfterChunks(2);
        List<String> got = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = sdk.chat().completions().createStreaming(chat("m").build())) {
            assertThrows(OpenAIException.class, () -> s.stream()
                    .forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(got::add))));
        }
        assertEquals(List.of("", "a", "b"), got, "role chunk and two content chunks, then the cut");
        MockLlm.StreamTrace trace = mock.streams().get(0);
        assertFalse(trace.completed());
        assertFalse(trace.clientDisconnected(), "the mock closed it, not the client");
    }

    @Test
    void errorStatusSurfacesAsSdkException() {
        mock.status(429);
        RateLimitException e = assertThrows(RateLimitException.class,
                () -> sdk.chat().completions().create(chat("m").build()));
        assertEquals(429, e.statusCode());
        assertEquals("rate_limit_exceeded", e.code().orElseThrow());

        mock.reset();
        var perRequest = chat("m").putAdditionalHeader("X-Mock-Status", "500").build();
        InternalServerException e500 = assertThrows(InternalServerException.class,
                () -> sdk.chat().completions().create(perRequest));
        assertEquals(500, e500.statusCode());
        assertEquals("server_error", e500.type().orElseThrow());
        assertEquals(1, mock.count(Kind.CHAT));
    }

    @Test
    void failNextThenSucceedLetsTheSdkRetry() {
        mock.failNext(1, 503);
        OpenAIClient retrying = OpenAIOkHttpClient.builder().baseUrl(mock.url() + "/v1").apiKey("sk-test")
                .maxRetries(1).build();
        try {
            ChatCompletion c = retrying.chat().completions().create(chat("m").build());
            assertEquals("m", c.model());
        } finally {
            retrying.close();
        }
        assertEquals(2, mock.count(Kind.CHAT));
    }

    @Test
    void customErrorBody() throws Exception {
        mock.status(400, "{\"error\":{\"message\":\"bad model\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":null}}");
        OpenAIServiceException e = assertThrows(OpenAIServiceException.class,
                () -> sdk.chat().completions().create(chat("m").build()));
        assertEquals(400, e.statusCode());
        assertEquals("model", e.param().orElseThrow());
    }

    @Test
    void droppedConnectionIsAnIoError() {
        mock.dropConnection(true);
        assertThrows(OpenAIException.class, () -> sdk.chat().completions().create(chat("m").build()));
        // OkHttp silently retries a connection closed without an answer once, so count a raw client's request too.
        int before = mock.count(Kind.CHAT);
        assertThrows(java.io.IOException.class,
                () -> post("/v1/chat/completions", "application/json", "{\"model\":\"m\",\"messages\":[]}"));
        assertEquals(before + 1, mock.count(Kind.CHAT));
    }

    @Test
    void headerDelayHoldsTheAnswer() throws Exception {
        mock.headerDelay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        HttpResponse<String> r = post("/v1/chat/completions", "application/json", "{\"model\":\"m\",\"messages\":[]}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode());
        assertTrue(ms >= 300, "answered after " + ms + " ms");
    }

    @Test
    void embeddingsThroughTheSdk() throws Exception {
        CreateEmbeddingResponse r = sdk.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").inputOfArrayOfStrings(List.of("alpha", "beta")).build());
        assertEquals(2, r.data().size());
        assertEquals(8, r.data().get(0).embedding().size());
        assertEquals(10, r.usage().promptTokens());
        assertEquals("text-embedding-3-small", r.model());
        assertEquals(Kind.EMBEDDINGS, mock.lastRequest().kind());

        // The same text gives the same vector whatever the encoding the SDK asked for.
        HttpResponse<String> raw = post("/v1/embeddings", "application/json",
                "{\"model\":\"e\",\"input\":\"alpha\",\"encoding_format\":\"float\"}");
        JsonArray floats = new JsonObject(raw.body()).getJsonArray("data").getJsonObject(0).getJsonArray("embedding");
        for (int i = 0; i < 8; i++) {
            assertEquals(floats.getDouble(i).floatValue(), r.data().get(0).embedding().get(i), 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/v1beta/openai", "/v1/projects/p1/locations/us-central1/endpoints/openapi",
        "/v1beta1/projects/p1/locations/us-central1/endpoints/openapi"})
    void providerChatLayouts(String base) {
        OpenAIClient c = client(mock.url() + base);
        try {
            assertEquals("gemini-2.0-flash", c.chat().completions().create(chat("gemini-2.0-flash").build()).model());
        } finally {
            c.close();
        }
        assertEquals(base + "/chat/completions", mock.lastRequest().path());
        assertEquals(Kind.CHAT, mock.lastRequest().kind());
    }

    @Test
    void azureDeploymentPathWithApiVersion() throws Exception {
        HttpResponse<String> r = post("/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21",
                "application/json", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode());
        assertEquals("chat.completion", new JsonObject(r.body()).getString("object"));
        assertEquals("2024-10-21", mock.lastRequest().queryParam("api-version"));
    }

    @Test
    void unknownPathIs404WithOpenAiError() throws Exception {
        HttpResponse<String> r = post("/v1/nothing", "application/json", "{}");
        assertEquals(404, r.statusCode());
        assertNotNull(new JsonObject(r.body()).getJsonObject("error").getString("message"));
        assertEquals(1, mock.count(Kind.OTHER));
    }

    @Test
    void vertexPredictEmbeddings() throws Exception {
        HttpResponse<String> r = post("/v1/projects/p1/locations/us-central1/publishers/google/models/text-embedding-004:predict",
                "application/json", "{\"instances\":[{\"content\":\"one\"},{\"content\":\"two\"}]}");
        assertEquals(200, r.statusCode());
        JsonArray predictions = new JsonObject(r.body()).getJsonArray("predictions");
        assertEquals(2, predictions.size());
        JsonObject emb = predictions.getJsonObject(1).getJsonObject("embeddings");
        assertEquals(8, emb.getJsonArray("values").size());
        assertEquals(5, emb.getJsonObject("statistics").getInteger("token_count"));
        assertEquals(1, mock.count(Kind.VERTEX_PREDICT));

        mock.status(429);
        HttpResponse<String> limited = post("/v1/projects/p1/locations/us-central1/publishers/google/models/m:predict",
                "application/json", "{\"instances\":[]}");
        assertEquals(429, limited.statusCode());
        assertEquals("RESOURCE_EXHAUSTED", new JsonObject(limited.body()).getJsonObject("error").getString("status"));
    }

    @Test
    void googleOauthTokenEndpoint() throws Exception {
        mock.tokenExpiresIn(120);
        GcpServiceAccount sa = GcpServiceAccount.generate("p1", mock.url() + "/token");
        long now = Instant.now().getEpochSecond();
        String jwt = sa.sign(new JsonObject().put("iss", sa.clientEmail()).put("aud", sa.tokenUri())
                .put("scope", "https://www.googleapis.com/auth/cloud-platform").put("iat", now).put("exp", now + 3600));
        String form = "grant_type=" + URLEncoder.encode(MockLlm.JWT_BEARER, StandardCharsets.UTF_8)
                + "&assertion=" + URLEncoder.encode(jwt, StandardCharsets.UTF_8);

        HttpResponse<String> r = post("/token", "application/x-www-form-urlencoded", form);
        assertEquals(200, r.statusCode());
        JsonObject token = new JsonObject(r.body());
        assertEquals(120, token.getInteger("expires_in"));
        assertEquals("Bearer", token.getString("token_type"));
        assertEquals(mock.issuedTokens().get(0), token.getString("access_token"));
        assertEquals(1, mock.count(Kind.TOKEN));

        String recorded = mock.tokenAssertions().get(0);
        assertEquals(sa.clientEmail(), sa.verify(recorded).payload().getString("iss"));
        GcpServiceAccount other = GcpServiceAccount.generate("p2", sa.tokenUri());
        assertThrows(IllegalArgumentException.class, () -> other.verify(recorded), "another key must not verify");

        HttpResponse<String> bad = post("/token", "application/x-www-form-urlencoded", "grant_type=password&assertion=x");
        assertEquals(400, bad.statusCode());
        assertEquals("unsupported_grant_type", new JsonObject(bad.body()).getString("error"));
    }

    @Test
    void requestsAreRecordedInOrderWithTimes() throws Exception {
        Instant before = Instant.now();
        post("/v1/chat/completions", "application/json", "{\"model\":\"a\",\"messages\":[]}");
        post("/v1/embeddings", "application/json", "{\"model\":\"b\",\"input\":\"x\"}");
        List<MockLlm.RecordedRequest> all = mock.requests();
        assertEquals(List.of(Kind.CHAT, Kind.EMBEDDINGS), all.stream().map(MockLlm.RecordedRequest::kind).toList());
        assertFalse(all.get(0).receivedAt().isBefore(before));
        assertEquals("b", all.get(1).json().getString("model"));
        assertEquals(Map.of(Kind.CHAT, 1, Kind.EMBEDDINGS, 1),
                Map.of(Kind.CHAT, mock.count(Kind.CHAT), Kind.EMBEDDINGS, mock.count(Kind.EMBEDDINGS)));
    }
}
