package dev.aigw.t.aiproxy;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.aigw.t.aiproxy.AiProxyEnv.aiProxy;
import static dev.aigw.t.aiproxy.AiProxyEnv.awaitLogEntry;
import static dev.aigw.t.aiproxy.AiProxyEnv.bearer;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static dev.aigw.t.aiproxy.AiProxyEnv.sdk;
import static dev.aigw.t.aiproxy.AiProxyEnv.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java client against ai-proxy (provider openai, sending to the mock):
 * chat, streaming as it happens, embeddings, the usage chunk, and the LLM variables in the access log.
 */
class AiProxySdkTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final String PROVIDER_KEY = "sk-provider-sdk-5f1e2d";
    private static final String CLIENT_KEY = "sk-client-sdk-9a8b7c";

    @BeforeAll
    static void routes() {
        putRoute(ENV.gateway(), "sdk", "/v1/*", aiProxy("openai", ENV.mock().url(), bearer(PROVIDER_KEY)));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model("gpt-4o").addUserMessage("Say hello");
    }

    @Test
    void chatCompletion() {
        String id = testId();
        mock().usage(31, 9).content("Hi there, gateway.");
        ChatCompletion c = sdk(gw(), "/v1", CLIENT_KEY, id).chat().completions().create(chat().build());

        assertEquals("Hi there, gateway.", c.choices().get(0).message().content().orElseThrow());
        CompletionUsage u = c.usage().orElseThrow();
        assertEquals(31, u.promptTokens());
        assertEquals(9, u.completionTokens());

        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals(1, mock().count(), "one provider call");
        assertEquals("/v1/chat/completions", up.path());
        assertEquals("Bearer " + PROVIDER_KEY, up.header("Authorization"));
        assertEquals("gpt-4o", up.json().getString("model"));
        assertEquals("Say hello", up.json().getJsonArray("messages").getJsonObject(0).getString("content"));

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("200", log.get("status"));
        assertEquals("ai_chat", log.get("request_type"));
        assertEquals("gpt-4o", log.get("request_llm_model"));
        assertEquals("gpt-4o", log.get("llm_model"));
        assertEquals("31", log.get("llm_prompt_tokens"));
        assertEquals("9", log.get("llm_completion_tokens"));
        assertEquals(mock().hostPort(), log.get("upstream_addr"));
        assertEquals("200", log.get("upstream_status"));
        assertEquals("http", log.get("upstream_scheme"));
        assertEquals("127.0.0.1", log.get("upstream_host"));
        assertEquals("/v1/chat/completions", log.get("upstream_uri"));
        assertTrue(log.get("llm_time_to_first_token").matches("\\d+"), "ttft in ms: " + log);
        assertTrue(log.get("apisix_upstream_response_time").matches("\\d+"), "response time in ms: " + log);
    }

    @Test
    void streamArrivesWhileTheProviderIsStillSending() {
        String id = testId();
        mock().chunks(6).chunkDelay(Duration.ofMillis(150)).content("one two three four five six");
        List<Instant> arrivals = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        OpenAIClient client = sdk(gw(), "/v1", CLIENT_KEY, id);
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat().build())) {
            s.stream().forEach(ch -> {
                arrivals.add(Instant.now());
                chunks.add(ch);
                ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
            });
        }
        assertEquals("one two three four five six", text.toString());
        List<Instant> sent = mock().streams().get(0).sentAt();
        assertTrue(mock().streams().get(0).completed());
        assertTrue(arrivals.get(0).isBefore(sent.get(sent.size() - 1)),
                "the first chunk reached the client before the provider sent its last event");

        // the client did not ask for usage: no chunk carries it, yet the gateway counted the tokens
        assertTrue(chunks.stream().allMatch(ch -> ch.usage().isEmpty()), "no usage chunk for the client");
        assertTrue(chunks.stream().noneMatch(ch -> ch.choices().isEmpty()), "no usage-only chunk reached the client");
        JsonObject upBody = mock().lastRequest().json();
        assertTrue(upBody.getBoolean("stream"));
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("ai_stream", log.get("request_type"));
        assertEquals("23", log.get("llm_prompt_tokens"));
        assertEquals("7", log.get("llm_completion_tokens"));
        long ttft = Long.parseLong(log.get("llm_time_to_first_token"));
        long total = Long.parseLong(log.get("apisix_upstream_response_time"));
        assertTrue(ttft < total, "time to first token " + ttft + " below the whole stream's " + total);
    }

    @Test
    void clientThatAskedForUsageGetsExactlyOneUsageChunk() {
        String id = testId();
        mock().usage(40, 12).chunks(3);
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams p = chat()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = sdk(gw(), "/v1", CLIENT_KEY, id).chat().completions()
                .createStreaming(p)) {
            s.stream().forEach(chunks::add);
        }
        List<CompletionUsage> usages = chunks.stream().flatMap(ch -> ch.usage().stream()).toList();
        assertEquals(1, usages.size(), "exactly one usage chunk: " + chunks);
        assertEquals(40, usages.get(0).promptTokens());
        assertEquals(12, usages.get(0).completionTokens());
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("40", log.get("llm_prompt_tokens"));
        assertEquals("12", log.get("llm_completion_tokens"));
    }

    @Test
    void embeddings() {
        String id = testId();
        mock().embeddingDimensions(16).embeddingTokensPerInput(4);
        CreateEmbeddingResponse r = sdk(gw(), "/v1", CLIENT_KEY, id).embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").inputOfArrayOfStrings(List.of("first text", "second text")).build());

        assertEquals(2, r.data().size());
        assertEquals(16, r.data().get(0).embedding().size());
        assertEquals(16, r.data().get(1).embedding().size());
        assertNotEquals(r.data().get(0).embedding(), r.data().get(1).embedding(), "one vector per input");
        assertEquals(8, r.usage().promptTokens());

        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals(MockLlm.Kind.EMBEDDINGS, up.kind());
        assertEquals("/v1/embeddings", up.path());
        assertEquals("Bearer " + PROVIDER_KEY, up.header("Authorization"));
        assertEquals("text-embedding-3-small", up.json().getString("model"));
        assertEquals(List.of("first text", "second text"), up.json().getJsonArray("input").getList());

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("200", log.get("status"));
        assertEquals("text-embedding-3-small", log.get("llm_model"));
        assertEquals("8", log.get("llm_prompt_tokens"));
        assertEquals("/v1/embeddings", log.get("upstream_uri"));
    }

    @Test
    void clientKeyIsNeverForwarded() {
        String id = testId();
        sdk(gw(), "/v1", CLIENT_KEY, id).chat().completions().create(chat().build());
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertNotNull(up);
        up.headers().forEach((name, values) -> values.forEach(v ->
                assertFalse(v.contains(CLIENT_KEY), "client key forwarded in " + name)));
        assertFalse(up.body().contains(CLIENT_KEY));
        assertEquals(id, up.header("X-Test-Id"), "other client headers do reach the provider");
    }
}
