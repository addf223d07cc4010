package dev.aigw.t.aiproxy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.openai.client.OpenAIClient;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every protocol pair with the official clients: the Anthropic SDK to Anthropic (native) and to an
 * OpenAI provider (converted), the OpenAI SDK to Anthropic's Messages API (converted), OpenAI
 * Responses, Claude-Code-style calls with beta headers and passthrough, and a pair no provider can
 * serve. Each checks what the client gets, what the provider got, and the access log's LLM variables.
 */
class AiProxyProtocolsTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final String PROVIDER_KEY = "sk-ant-api-provider-7d1c";
    private static final String OPENAI_KEY = "sk-openai-provider-2b9e";
    private static final String CLIENT_KEY = "sk-client-proto-4e5f";
    /** Not a valid OpenAI function name: the converter renames it and must restore it. */
    private static final String TOOL = "weather.lookup v2";
    private static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    @BeforeAll
    static void routes() {
        JsonObject antKey = new JsonObject().put("header", new JsonObject().put("x-api-key", PROVIDER_KEY));
        putRoute(gw(), "ant", "/ant/*", aiProxy("anthropic", ENV.mock().url(), antKey));
        putRoute(gw(), "conv", "/conv/*", aiProxy("openai", ENV.mock().url(), bearer(OPENAI_KEY)));
        putRoute(gw(), "oai2ant", "/oai2ant/*", aiProxy("anthropic", ENV.mock().url(), antKey)
                .put("provider_conf", new JsonObject().put("chat_protocol", "anthropic-messages")));
        putRoute(gw(), "ds", "/ds/*", aiProxy("deepseek", ENV.mock().url(), bearer(OPENAI_KEY)));

        putRoute(gw(), "bedrock", "/bedrock/*", aiProxy("bedrock", ENV.mock().url(), new JsonObject()
                .put("aws", new JsonObject().put("access_key_id", "AKIDMOCK").put("secret_access_key", AWS_SECRET)))
                .put("provider_conf", new JsonObject().put("region", "us-east-1")));

        // one URL, three providers, chosen by the request's model
        JsonArray instances = new JsonArray()
                .add(aiProxy("openai", ENV.mock().url(), bearer(OPENAI_KEY)).put("name", "oai").put("weight", 1)
                        .put("models", new JsonArray().add("gpt-*")))
                .add(aiProxy("anthropic", ENV.mock().url(), antKey).put("name", "claude").put("weight", 1)
                        .put("provider_conf", new JsonObject().put("chat_protocol", "anthropic-messages"))
                        .put("models", new JsonArray().add(new JsonObject().put("name", "claude-*")
                                .put("model", "claude-sonnet-4-5-20250929"))))
                .add(aiProxy("deepseek", ENV.mock().url(), bearer("sk-ds")).put("name", "ds").put("weight", 1)
                        .put("models", new JsonArray().add(new JsonObject().put("name", "~^deepseek-(chat|reasoner)$")
                                .put("model", "deepseek-$1"))));
        putRoute(gw(), "models", new JsonObject().put("uri", "/models/*").put("plugins", new JsonObject()
                .put("ai-proxy-multi", new JsonObject().put("instances", instances))));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static AnthropicClient claude(String base, String id) {
        return AnthropicOkHttpClient.builder()
                .baseUrl(gw().url(base))
                .apiKey(CLIENT_KEY)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .putHeader("X-Test-Id", id)
                .build();
    }

    private static Tool weatherTool() {
        return Tool.builder().name(TOOL).description("Weather for a city")
                .inputSchema(Tool.InputSchema.builder().properties(Tool.InputSchema.Properties.builder()
                        .putAdditionalProperty("city", JsonValue.from(Map.of("type", "string"))).build())
                        .required(List.of("city")).build())
                .build();
    }

    private static MessageCreateParams.Builder ask(String text) {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(512).system("Be brief.")
                .addUserMessage(text);
    }

    private static void assertUsageLogged(String id, String protocolModel, String prompt, String completion,
                                          String type, String upstreamUri) {
        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("200", log.get("status"), log.toString());
        assertEquals(type, log.get("request_type"));
        assertEquals(protocolModel, log.get("request_llm_model"));
        assertEquals(protocolModel, log.get("llm_model"));
        assertEquals(prompt, log.get("llm_prompt_tokens"), log.toString());
        assertEquals(completion, log.get("llm_completion_tokens"), log.toString());
        assertEquals(upstreamUri, log.get("upstream_uri"));
        assertTrue(log.get("llm_time_to_first_token").matches("\\d+"), log.toString());
    }

    // ------------------------------------------------------------------ anthropic → anthropic (native)

    @Test
    void anthropicSdkToAnthropicNative() {
        String id = testId();
        mock().usage(31, 9).content("Bonjour from Claude.");
        Message m = claude("/ant", id).messages().create(ask("Say hello")
                .putAdditionalHeader("anthropic-beta", "prompt-caching-2024-07-31").build());

        assertEquals("Bonjour from Claude.", m.content().get(0).text().orElseThrow().text());
        assertEquals(31, m.usage().inputTokens());
        assertEquals(9, m.usage().outputTokens());
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/v1/messages", up.path());
        assertEquals(PROVIDER_KEY, up.header("x-api-key"), "the configured key replaces the client's");
        assertTrue(up.header("anthropic-version").matches("\\d{4}-\\d{2}-\\d{2}"), "the SDK's version header is passed");
        assertEquals("prompt-caching-2024-07-31", up.header("anthropic-beta"));
        assertEquals("Be brief.", up.json().getString("system"));
        assertEquals(512, up.json().getInteger("max_tokens"));
        assertFalse(up.body().contains(CLIENT_KEY));
        assertUsageLogged(id, "claude-sonnet-4-5", "31", "9", "ai_chat", "/v1/messages");
    }

    @Test
    void anthropicSdkStreamsNativeAndUsageIsMergedFromStartAndDelta() {
        String id = testId();
        mock().usage(40, 12).chunks(4).content("one two three four");
        MessageAccumulator acc = MessageAccumulator.create();
        List<String> types = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> s = claude("/ant", id).messages()
                .createStreaming(ask("Count").build())) {
            s.stream().forEach(ev -> {
                acc.accumulate(ev);
                types.add(ev.isMessageStart() ? "message_start" : ev.isMessageStop() ? "message_stop" : "other");
            });
        }
        Message m = acc.message();
        assertEquals("one two three four", m.content().get(0).text().orElseThrow().text());
        assertEquals(12, m.usage().outputTokens());
        assertEquals("message_start", types.get(0));
        assertEquals("message_stop", types.get(types.size() - 1));
        // input from message_start (40), output from message_delta (12): not the delta's alone
        assertUsageLogged(id, "claude-sonnet-4-5", "40", "12", "ai_stream", "/v1/messages");
    }

    // ------------------------------------------------------------------ anthropic → openai (converted)

    @Test
    void anthropicSdkToOpenAiProviderWithToolCallsRoundTripped() {
        String id = testId();
        mock().usage(50, 6).toolCall("{\"city\":\"Paris\"}");
        AnthropicClient client = claude("/conv", id);
        MessageCreateParams.Builder first = ask("Weather in Paris?").addTool(weatherTool());
        Message m = client.messages().create(first.build());

        ToolUseBlock use = m.content().stream().map(ContentBlock::toolUse).flatMap(java.util.Optional::stream)
                .findFirst().orElseThrow();
        assertEquals(TOOL, use.name(), "the sanitised name is restored for the client");
        assertEquals("Paris", ((Map<?, ?>) use._input().convert(Map.class)).get("city"));
        assertEquals(StopReason.TOOL_USE, m.stopReason().orElseThrow());
        assertEquals(50, m.usage().inputTokens());

        JsonObject upBody = mock().lastRequest().json();
        assertEquals("/v1/chat/completions", mock().lastRequest().path());
        assertEquals("Bearer " + OPENAI_KEY, mock().lastRequest().header("Authorization"));
        assertNull(mock().lastRequest().header("anthropic-version"), "Anthropic headers are not sent to OpenAI");
        assertEquals(512, upBody.getInteger("max_completion_tokens"));
        assertEquals("system", upBody.getJsonArray("messages").getJsonObject(0).getString("role"));
        String oaiName = upBody.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getString("name");
        assertTrue(oaiName.matches("[a-zA-Z0-9_-]{1,64}"), oaiName);
        assertUsageLogged(id, "claude-sonnet-4-5", "50", "6", "ai_chat", "/v1/chat/completions");

        // second turn: the tool's result goes back; OpenAI gets the call and a tool message right after it
        mock().content("It is sunny in Paris.");
        Message answer = client.messages().create(first
                .addMessage(m)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                        .toolUseId(use.id()).content("18 C, sunny").build())))
                .build());
        assertEquals("It is sunny in Paris.", answer.content().get(0).text().orElseThrow().text());
        JsonArray sent = mock().lastRequest().json().getJsonArray("messages");
        JsonObject call = sent.getJsonObject(sent.size() - 2);
        JsonObject result = sent.getJsonObject(sent.size() - 1);
        assertEquals(oaiName, call.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("name"));
        assertEquals("tool", result.getString("role"));
        assertEquals(use.id(), result.getString("tool_call_id"));
        assertEquals("18 C, sunny", result.getString("content"));
    }

    @Test
    void anthropicSdkStreamFromOpenAiProviderGetsTheWholeEventSequence() {
        String id = testId();
        mock().usage(44, 5).chunks(3).content("alpha beta gamma");
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = claude("/conv", id).messages().createStreaming(ask("Go").build())) {
            s.stream().forEach(acc::accumulate);
        }
        Message m = acc.message();
        assertEquals("alpha beta gamma", m.content().get(0).text().orElseThrow().text());
        assertEquals(StopReason.END_TURN, m.stopReason().orElseThrow());
        assertEquals(5, m.usage().outputTokens(), "the trailing usage chunk reaches message_delta");
        assertTrue(mock().lastRequest().json().getJsonObject("stream_options").getBoolean("include_usage"));
        assertUsageLogged(id, "claude-sonnet-4-5", "44", "5", "ai_stream", "/v1/chat/completions");
    }

    @Test
    void anthropicSdkStreamedToolCallFromOpenAiProvider() {
        String id = testId();
        mock().toolCall("{\"city\":\"Oslo\"}");
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = claude("/conv", id).messages()
                .createStreaming(ask("Weather?").addTool(weatherTool()).build())) {
            s.stream().forEach(acc::accumulate);
        }
        ToolUseBlock use = acc.message().content().stream().map(ContentBlock::toolUse)
                .flatMap(java.util.Optional::stream).findFirst().orElseThrow();
        assertEquals(TOOL, use.name());
        assertEquals("Oslo", ((Map<?, ?>) use._input().convert(Map.class)).get("city"));
        assertEquals(StopReason.TOOL_USE, acc.message().stopReason().orElseThrow());
    }

    // ------------------------------------------------------------------ openai → anthropic (converted)

    private static ChatCompletionFunctionTool openAiTool() {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", com.openai.core.JsonValue.from("object"))
                        .putAdditionalProperty("properties", com.openai.core.JsonValue.from(
                                Map.of("city", Map.of("type", "string"))))
                        .build())
                .build()).build();
    }

    @Test
    void openAiSdkToAnthropicMessagesWithToolCallsRoundTripped() {
        String id = testId();
        mock().usage(27, 8).toolCall("{\"city\":\"Rome\"}");
        OpenAIClient client = sdk(gw(), "/oai2ant/v1", CLIENT_KEY, id);
        ChatCompletionCreateParams.Builder p = ChatCompletionCreateParams.builder().model("claude-haiku-4-5")
                .addSystemMessage("Be brief.").addUserMessage("Weather in Rome?").addTool(openAiTool());
        ChatCompletion c = client.chat().completions().create(p.build());

        ChatCompletionMessageFunctionToolCall call = c.choices().get(0).message().toolCalls().orElseThrow().get(0)
                .asFunction();
        assertEquals("get_weather", call.function().name());
        assertEquals("Rome", new JsonObject(call.function().arguments()).getString("city"));
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, c.choices().get(0).finishReason());
        assertEquals(27, c.usage().orElseThrow().promptTokens());

        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/v1/messages", up.path());
        assertEquals(PROVIDER_KEY, up.header("x-api-key"));
        assertNull(up.header("Authorization"));
        assertEquals("2023-06-01", up.header("anthropic-version"));
        assertEquals("Be brief.", up.json().getString("system"));
        assertEquals(4096, up.json().getInteger("max_tokens"), "Anthropic requires max_tokens");
        assertEquals("get_weather", up.json().getJsonArray("tools").getJsonObject(0).getString("name"));
        assertUsageLogged(id, "claude-haiku-4-5", "27", "8", "ai_chat", "/v1/messages");

        mock().content("Rome: 24 C.");
        ChatCompletion answer = client.chat().completions().create(p.addMessage(c.choices().get(0).message())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("24 C").build())
                .build());
        assertEquals("Rome: 24 C.", answer.choices().get(0).message().content().orElseThrow());
        JsonArray msgs = mock().lastRequest().json().getJsonArray("messages");
        JsonObject toolUse = msgs.getJsonObject(1).getJsonArray("content").getJsonObject(0);
        assertEquals("tool_use", toolUse.getString("type"));
        assertEquals(call.id(), toolUse.getString("id"));
        JsonObject result = msgs.getJsonObject(2).getJsonArray("content").getJsonObject(0);
        assertEquals("user", msgs.getJsonObject(2).getString("role"));
        assertEquals("tool_result", result.getString("type"));
        assertEquals(call.id(), result.getString("tool_use_id"));
    }

    @Test
    void openAiSdkStreamsFromAnthropicMessages() {
        String id = testId();
        mock().usage(19, 4).chunks(4).content("red green blue cyan");
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("claude-haiku-4-5")
                .addUserMessage("Colours").build();
        try (var s = sdk(gw(), "/oai2ant/v1", CLIENT_KEY, id).chat().completions().createStreaming(p)) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
            });
        }
        assertEquals("red green blue cyan", text.toString());
        assertTrue(chunks.stream().anyMatch(ch -> ch.choices().stream().anyMatch(cc -> cc.finishReason().isPresent())));
        assertTrue(chunks.stream().allMatch(ch -> ch.usage().isEmpty()), "the client did not ask for usage");
        assertUsageLogged(id, "claude-haiku-4-5", "19", "4", "ai_stream", "/v1/messages");
    }

    @Test
    void openAiSdkStreamedToolCallFromAnthropicMessages() {
        mock().toolCall("{\"city\":\"Bern\"}");
        Map<Long, StringBuilder> args = new java.util.TreeMap<>();
        List<String> names = new ArrayList<>();
        List<String> finish = new ArrayList<>();
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("claude-haiku-4-5")
                .addUserMessage("Weather in Bern?").addTool(openAiTool()).build();
        try (var s = sdk(gw(), "/oai2ant/v1", CLIENT_KEY, testId()).chat().completions().createStreaming(p)) {
            s.stream().forEach(ch -> ch.choices().forEach(choice -> {
                choice.finishReason().ifPresent(f -> finish.add(f.asString()));
                choice.delta().toolCalls().ifPresent(calls -> calls.forEach(tc -> {
                    tc.function().flatMap(f -> f.name()).ifPresent(names::add);
                    tc.function().flatMap(f -> f.arguments()).ifPresent(a ->
                            args.computeIfAbsent(tc.index(), i -> new StringBuilder()).append(a));
                }));
            }));
        }
        assertEquals(List.of("get_weather"), names);
        assertEquals("Bern", new JsonObject(args.get(0L).toString()).getString("city"), "input_json_delta pieces joined");
        assertEquals(List.of("tool_calls"), finish);
        assertTrue(mock().lastRequest().json().getBoolean("stream"));
    }

    // ------------------------------------------------------------------ responses

    @Test
    void openAiResponsesPassThroughWithUsage() {
        String id = testId();
        mock().usage(36, 87).content("A response.");
        OpenAIClient client = sdk(gw(), "/conv/v1", CLIENT_KEY, id);
        Response r = client.responses().create(ResponseCreateParams.builder().model("gpt-4.1").input("Hi").build());
        assertEquals(87, r.usage().orElseThrow().outputTokens());
        assertEquals("/v1/responses", mock().lastRequest().path());
        assertUsageLogged(id, "gpt-4.1", "36", "87", "ai_chat", "/v1/responses");

        String id2 = testId();
        mock().usage(12, 3).chunks(3).content("x y z");
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (var s = sdk(gw(), "/conv/v1", CLIENT_KEY, id2).responses()
                .createStreaming(ResponseCreateParams.builder().model("gpt-4.1").input("Hi").build())) {
            s.stream().forEach(events::add);
        }
        assertTrue(events.get(events.size() - 1).isCompleted(), "every event relayed, response.completed last");
        assertEquals(3, events.stream().filter(ResponseStreamEvent::isOutputTextDelta).count());
        assertUsageLogged(id2, "gpt-4.1", "12", "3", "ai_stream", "/v1/responses");
    }

    // ------------------------------------------------------------------ claude code, passthrough, refusals

    @Test
    void claudeCodeStyleBetaCallsAndPassthrough() {
        String id = testId();
        mock().usage(11, 2).content("ok");
        String body = new JsonObject().put("model", "claude-opus-4-1").put("max_tokens", 64)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")))
                .encode();
        HttpResult r = gw().http("POST", "/ant/v1/messages?beta=true", body, "x-api-key", CLIENT_KEY,
                "anthropic-version", "2023-06-01", "anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14",
                "X-Test-Id", id);
        assertEquals(200, r.status(), r.toString());
        assertEquals("message", r.jsonObject().getString("type"));
        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("claude-code-20250219,interleaved-thinking-2025-05-14", up.header("anthropic-beta"));
        assertEquals(PROVIDER_KEY, up.header("x-api-key"));
        assertUsageLogged(id, "claude-opus-4-1", "11", "2", "ai_chat", "/v1/messages");

        // count_tokens and the model list go through as they are, with the configured key
        r = gw().http("POST", "/ant/v1/messages/count_tokens?beta=true", body, "x-api-key", CLIENT_KEY,
                "anthropic-version", "2023-06-01");
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.jsonObject().getInteger("input_tokens") > 0);
        assertEquals("/v1/messages/count_tokens", mock().lastRequest().path());
        assertEquals("beta=true", mock().lastRequest().query());
        assertEquals(PROVIDER_KEY, mock().lastRequest().header("x-api-key"));
        r = gw().http("GET", "/ant/v1/models", null, "x-api-key", CLIENT_KEY, "anthropic-version", "2023-06-01");
        assertEquals(200, r.status(), r.toString());
        assertEquals("claude-mock", r.jsonObject().getJsonArray("data").getJsonObject(0).getString("id"));
        assertEquals(PROVIDER_KEY, mock().lastRequest().header("x-api-key"));
        assertFalse(mock().lastRequest().headers().values().stream().flatMap(List::stream)
                .anyMatch(v -> v.contains(CLIENT_KEY)), "the client's key never reaches the provider");
    }

    @Test
    void aPairNoProviderServesIs400InApisixWords() {
        int before = mock().count();
        HttpResult r = gw().http("POST", "/ds/v1/responses", "{\"model\":\"deepseek-chat\",\"input\":\"hi\"}");
        assertEquals(400, r.status(), r.toString());
        assertEquals("provider deepseek does not support openai-responses protocol (supported: openai-chat)",
                r.jsonObject().getString("error_msg"));
        r = gw().http("POST", "/ant/v1/embeddings", "{\"model\":\"x\",\"input\":\"hi\"}");
        assertEquals(400, r.status(), r.toString());
        assertEquals("provider anthropic does not support openai-embeddings protocol "
                + "(supported: anthropic-messages, openai-chat)", r.jsonObject().getString("error_msg"));
        assertEquals(before, mock().count(), "nothing reached the provider");
    }

    @Test
    void providerErrorsReachAnAnthropicClientAsAnthropicErrors() {
        mock().status(429);
        HttpResult r = gw().http("POST", "/conv/v1/messages", new JsonObject().put("model", "m").put("max_tokens", 5)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))).encode());
        assertEquals(429, r.status());
        assertEquals("error", r.jsonObject().getString("type"));
        assertEquals("requests", r.jsonObject().getJsonObject("error").getString("type"));
        assertTrue(r.jsonObject().getJsonObject("error").getString("message").startsWith("Rate limit"));
    }

    // ------------------------------------------------------------------ model routing (ai-proxy-multi)

    @Test
    void modelRoutingAcrossThreeProviders() {
        OpenAIClient client = sdk(gw(), "/models/v1", CLIENT_KEY, "routing");
        String[][] cases = {
            {"gpt-4o", "/v1/chat/completions", "gpt-4o", "Bearer " + OPENAI_KEY},
            {"claude-sonnet", "/v1/messages", "claude-sonnet-4-5-20250929", null},
            {"deepseek-reasoner", "/chat/completions", "deepseek-reasoner", "Bearer sk-ds"},
        };
        for (String[] c : cases) {
            String id = testId();
            mock().usage(21, 3).content("via " + c[0]);
            ChatCompletion r = sdk(gw(), "/models/v1", CLIENT_KEY, id).chat().completions().create(
                    ChatCompletionCreateParams.builder().model(c[0]).addUserMessage("hi").build());
            assertEquals("via " + c[0], r.choices().get(0).message().content().orElseThrow());
            MockLlm.RecordedRequest up = mock().lastRequest();
            assertEquals(c[1], up.path(), c[0]);
            assertEquals(c[2], up.json().getString("model"), "the provider's name for " + c[0]);
            if (c[3] != null) {
                assertEquals(c[3], up.header("Authorization"));
            } else {
                assertEquals(PROVIDER_KEY, up.header("x-api-key"));
            }
            Map<String, String> log = awaitLogEntry(gw(), id);
            assertEquals(c[0], log.get("request_llm_model"));
            assertEquals(c[2], log.get("llm_model"));
            assertEquals("21", log.get("llm_prompt_tokens"));
        }
        int before = mock().count();
        HttpResult r = gw().http("POST", "/models/v1/chat/completions",
                "{\"model\":\"llama-3-70b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(400, r.status(), r.toString());
        assertEquals("no AI instance serves model \"llama-3-70b\"", r.jsonObject().getString("error_msg"));
        assertEquals(before, mock().count());
        assertTrue(client != null);
    }

    // ------------------------------------------------------------------ bedrock

    @Test
    void openAiSdkToBedrockConverseSignedWithSigV4() {
        String id = testId();
        mock().usage(17, 6).content("Hello from Bedrock.");
        OpenAIClient client = sdk(gw(), "/bedrock/v1", CLIENT_KEY, id);
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("anthropic.claude-3-5-sonnet-20240620-v1:0").addSystemMessage("Be brief.")
                .addUserMessage("hi").maxCompletionTokens(100).build());
        assertEquals("Hello from Bedrock.", c.choices().get(0).message().content().orElseThrow());
        assertEquals(17, c.usage().orElseThrow().promptTokens());

        MockLlm.RecordedRequest up = mock().lastRequest();
        assertEquals("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", up.path());
        String auth = up.header("Authorization");
        assertTrue(auth.startsWith("AWS4-HMAC-SHA256 Credential=AKIDMOCK/"), auth);
        assertTrue(auth.contains("/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="), auth);
        assertTrue(up.header("X-Amz-Date").matches("\\d{8}T\\d{6}Z"));
        assertFalse(auth.contains(AWS_SECRET));
        assertFalse(up.body().contains(CLIENT_KEY));
        JsonObject body = up.json();
        assertNull(body.getValue("model"), "the URL selects the model");
        assertEquals("Be brief.", body.getJsonArray("system").getJsonObject(0).getString("text"));
        assertEquals("hi", body.getJsonArray("messages").getJsonObject(0).getJsonArray("content").getJsonObject(0).getString("text"));
        assertEquals(100, body.getJsonObject("inferenceConfig").getInteger("maxTokens"));
        assertUsageLogged(id, "anthropic.claude-3-5-sonnet-20240620-v1:0", "17", "6", "ai_chat",
                "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    }

    @Test
    void openAiSdkStreamsFromBedrockEventStreamFrames() {
        String id = testId();
        mock().usage(13, 4).chunks(4).content("uno dos tres cuatro");
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (var s = sdk(gw(), "/bedrock/v1", CLIENT_KEY, id).chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("amazon.nova-pro-v1:0").addUserMessage("count")
                        .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder()
                                .includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
            });
        }
        assertEquals("uno dos tres cuatro", text.toString());
        assertEquals("/model/amazon.nova-pro-v1%3A0/converse-stream", mock().lastRequest().path());
        assertEquals(1, chunks.stream().filter(ch -> ch.usage().isPresent()).count(), "the usage chunk asked for");
        assertEquals(4, chunks.stream().filter(ch -> ch.usage().isPresent()).findFirst().orElseThrow()
                .usage().orElseThrow().completionTokens());
        assertUsageLogged(id, "amazon.nova-pro-v1:0", "13", "4", "ai_stream",
                "/model/amazon.nova-pro-v1%3A0/converse-stream");
    }

    @Test
    void bedrockToolCallsRoundTripped() {
        mock().toolCall("{\"city\":\"Lima\"}");
        OpenAIClient client = sdk(gw(), "/bedrock/v1", CLIENT_KEY, testId());
        ChatCompletionCreateParams.Builder p = ChatCompletionCreateParams.builder().model("amazon.nova-pro-v1:0")
                .addUserMessage("Weather in Lima?").addTool(openAiTool());
        ChatCompletion c = client.chat().completions().create(p.build());
        ChatCompletionMessageFunctionToolCall call = c.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertEquals("get_weather", call.function().name());
        assertEquals("Lima", new JsonObject(call.function().arguments()).getString("city"));
        assertEquals("get_weather", mock().lastRequest().json().getJsonObject("toolConfig").getJsonArray("tools")
                .getJsonObject(0).getJsonObject("toolSpec").getString("name"));

        mock().content("Lima: 20 C.");
        ChatCompletion answer = client.chat().completions().create(p.addMessage(c.choices().get(0).message())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("20 C").build()).build());
        assertEquals("Lima: 20 C.", answer.choices().get(0).message().content().orElseThrow());
        JsonArray msgs = mock().lastRequest().json().getJsonArray("messages");
        assertEquals(call.id(), msgs.getJsonObject(1).getJsonArray("content").getJsonObject(0)
                .getJsonObject("toolUse").getString("toolUseId"));
        assertEquals(call.id(), msgs.getJsonObject(2).getJsonArray("content").getJsonObject(0)
                .getJsonObject("toolResult").getString("toolUseId"));
    }
}
