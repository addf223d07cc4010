package dev.aigw.t.aiproxy;

import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.aigw.t.GatewayExtension;
import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.GcpServiceAccount;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.aigw.t.aiproxy.AiProxyEnv.awaitLogEntry;
import static dev.aigw.t.aiproxy.AiProxyEnv.putRoute;
import static dev.aigw.t.aiproxy.AiProxyEnv.sdk;
import static dev.aigw.t.aiproxy.AiProxyEnv.testId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vertex AI with a service account whose RSA key is generated here: the gateway signs a JWT with it,
 * exchanges it at the mock's token endpoint once for many requests (again after expiry), sends the
 * token as a bearer, and converts OpenAI embeddings to Vertex predict and back.
 *
 * <p>Each test has its own route with a distinct configuration, so its own token cache (a token
 * source lives as long as a parsed configuration, and the gateway shares one parsed configuration
 * between routes whose plugin configuration is identical).
 */
class AiProxyVertexTest {

    @RegisterExtension
    static final GatewayExtension ENV = AiProxyEnv.extension();

    private static final String PROJECT = "aigw-proj-42";
    private static final String REGION = "europe-west4";
    private static final String BASE = "/v1/projects/" + PROJECT + "/locations/" + REGION;
    private static GcpServiceAccount account;

    @BeforeAll
    static void routes() {
        account = GcpServiceAccount.generate(PROJECT, ENV.mock().url() + "/token");
        putRoute(ENV.gateway(), "vx-many", "/vx/many/*", vertex(new JsonObject(), 30001));
        putRoute(ENV.gateway(), "vx-expiry", "/vx/expiry/*", vertex(new JsonObject().put("max_ttl", 2), 30002));
        putRoute(ENV.gateway(), "vx-emb", "/vx/emb/*", vertex(new JsonObject(), 30003));
        putRoute(ENV.gateway(), "vx-denied", "/vx/denied/*", vertex(new JsonObject(), 30004));
    }

    private static JsonObject vertex(JsonObject gcp, int timeoutMs) {
        return new JsonObject()
                .put("timeout", timeoutMs)
                .put("provider", "vertex-ai")
                .put("provider_conf", new JsonObject().put("project_id", PROJECT).put("region", REGION))
                .put("auth", new JsonObject().put("gcp", gcp.put("service_account_json", account.json().encode())))
                .put("override", new JsonObject().put("endpoint", ENV.mock().url()));
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static ChatCompletionCreateParams chat() {
        return ChatCompletionCreateParams.builder().model("google/gemini-2.0-flash").addUserMessage("hi").build();
    }

    @Test
    void oneTokenForManyRequests() throws Exception {
        String id = testId();
        OpenAIClient client = sdk(gw(), "/vx/many/v1", "client-key", id);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(pool.submit(() -> client.chat().completions().create(chat())));
            }
            for (Future<?> f : calls) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 4; i++) {
            client.chat().completions().create(chat());
        }

        assertEquals(1, mock().count(MockLlm.Kind.TOKEN), "one token exchange for 10 requests, 6 of them at once");
        List<MockLlm.RecordedRequest> chats = mock().requests(MockLlm.Kind.CHAT);
        assertEquals(10, chats.size());
        String token = mock().issuedTokens().get(0);
        for (MockLlm.RecordedRequest r : chats) {
            assertEquals(BASE + "/endpoints/openapi/chat/completions", r.path());
            assertEquals("Bearer " + token, r.header("Authorization"));
        }

        MockLlm.RecordedRequest tokenReq = mock().requests(MockLlm.Kind.TOKEN).get(0);
        assertEquals("/token", tokenReq.path());
        assertTrue(tokenReq.header("Content-Type").startsWith("application/x-www-form-urlencoded"));
        assertTrue(tokenReq.body().contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
                tokenReq.body());
        GcpServiceAccount.Jwt jwt = account.verify(mock().tokenAssertions().get(0));
        assertEquals(account.clientEmail(), jwt.payload().getString("iss"));
        assertEquals(account.tokenUri(), jwt.payload().getString("aud"));
        assertTrue(jwt.payload().getString("scope").contains("cloud-platform"));
        long iat = jwt.payload().getLong("iat");
        assertTrue(jwt.payload().getLong("exp") > iat);

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals(BASE + "/endpoints/openapi/chat/completions", log.get("upstream_uri"));
        assertEquals("google/gemini-2.0-flash", log.get("llm_model"));
    }

    @Test
    void newTokenAfterExpiry() {
        String id = testId();
        OpenAIClient client = sdk(gw(), "/vx/expiry/v1", "client-key", id);
        client.chat().completions().create(chat());
        assertEquals(1, mock().count(MockLlm.Kind.TOKEN));
        String first = mock().lastRequest().header("Authorization");

        Pause.sleep(2300); // max_ttl is 2 s
        client.chat().completions().create(chat());
        assertEquals(2, mock().count(MockLlm.Kind.TOKEN), "the expired token was replaced");
        String second = mock().lastRequest().header("Authorization");
        assertNotEquals(first, second);
        assertEquals("Bearer " + mock().issuedTokens().get(1), second);
        account.verify(mock().tokenAssertions().get(1));
    }

    @Test
    void embeddingsConvertedToPredictAndBack() {
        String id = testId();
        mock().embeddingDimensions(12).embeddingTokensPerInput(3);
        CreateEmbeddingResponse r = sdk(gw(), "/vx/emb/v1", "client-key", id).embeddings().create(
                EmbeddingCreateParams.builder().model("text-embedding-005")
                        .inputOfArrayOfStrings(List.of("alpha", "beta", "gamma")).build());

        assertEquals(3, r.data().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, r.data().get(i).index());
            assertEquals(12, r.data().get(i).embedding().size());
        }
        assertEquals(9, r.usage().promptTokens(), "token counts of the predictions summed");
        assertEquals("text-embedding-005", r.model());

        List<MockLlm.RecordedRequest> predicts = mock().requests(MockLlm.Kind.VERTEX_PREDICT);
        assertEquals(1, predicts.size());
        MockLlm.RecordedRequest up = predicts.get(0);
        assertEquals(BASE + "/publishers/google/models/text-embedding-005:predict", up.path());
        assertEquals(new JsonObject().put("instances", new io.vertx.core.json.JsonArray()
                        .add(new JsonObject().put("content", "alpha"))
                        .add(new JsonObject().put("content", "beta"))
                        .add(new JsonObject().put("content", "gamma"))),
                up.json());
        assertEquals("Bearer " + mock().issuedTokens().get(0), up.header("Authorization"));

        Map<String, String> log = awaitLogEntry(gw(), id);
        assertEquals("9", log.get("llm_prompt_tokens"));
        assertEquals(BASE + "/publishers/google/models/text-embedding-005:predict", log.get("upstream_uri"));
    }

    @Test
    void refusedTokenIsAnErrorAndNothingIsSent() {
        mock().tokenStatus(401);
        HttpResult r = gw().http("POST", "/vx/denied/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(500, r.status(), r.toString());
        assertTrue(r.jsonObject().getString("error_msg").contains("gcp access token"), r.body());
        assertEquals(1, mock().count(MockLlm.Kind.TOKEN));
        assertEquals(0, mock().count(MockLlm.Kind.CHAT), "no call without a token");

        mock().tokenStatus(200);
        r = gw().http("POST", "/vx/denied/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.status(), "a failed exchange is not cached: " + r);
        assertEquals(2, mock().count(MockLlm.Kind.TOKEN));
    }
}
