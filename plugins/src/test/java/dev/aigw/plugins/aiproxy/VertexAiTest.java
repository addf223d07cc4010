package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.PluginPipeline;
import dev.aigw.testkit.GcpServiceAccount;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vertex AI: service-account tokens (signed, cached, single-flight, refreshed) and embeddings conversion. */
class VertexAiTest {

    @AutoClose
    static final MockLlm mock = new MockLlm();
    static final GcpServiceAccount account = GcpServiceAccount.generate("proj", mock.url() + "/token");

    @BeforeEach
    void clear() {
        // answer late, so that a burst of requests finds the exchange still under way
        mock.reset().tokenDelay(Duration.ofMillis(200)).tokenExpiresIn(3600);
    }

    /** Every assertion posted to the token endpoint is an RS256 JWT signed with the account's key, for it. */
    static void assertAssertionsValid() {
        for (String jwt : mock.tokenAssertions()) {
            JsonObject claims = account.verify(jwt).payload();
            assertEquals(account.clientEmail(), claims.getString("iss"), claims.encode());
            assertEquals(mock.url() + "/token", claims.getString("aud"), claims.encode());
            assertTrue(claims.getLong("exp") > claims.getLong("iat"), claims.encode());
        }
    }

    static String serviceAccount() {
        return account.json().encode();
    }

    static JsonObject conf(JsonObject gcp) {
        return new JsonObject().put("provider", "vertex-ai")
                .put("auth", new JsonObject().put("gcp", gcp))
                .put("provider_conf", new JsonObject().put("project_id", "proj").put("region", "us-central1"))
                .put("override", new JsonObject().put("endpoint", mock.url()));
    }

    static final String CHAT = "{\"model\":\"gemini-2.0-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aBurstOnAColdCacheMintsOneToken() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount()));
        try (PluginPipeline gw = PluginPipeline.of(new AiProxyPlugin(k -> null), c)) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(gw.http().sendAsync(gw.postRequest("/chat", CHAT).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : all) {
                HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
            }
            assertAssertionsValid();
            assertEquals(1, mock.issuedTokens().size());
            String token = mock.issuedTokens().get(0);
            List<MockLlm.RecordedRequest> chats = mock.requests(MockLlm.Kind.CHAT);
            assertEquals(20, chats.size());
            chats.forEach(s -> assertEquals("Bearer " + token, s.header("authorization")));
            // and a later request reuses it
            assertEquals(200, gw.post("/chat", CHAT).statusCode());
            assertEquals(1, mock.count(MockLlm.Kind.TOKEN));
        }
    }

    @Test
    void anExpiredTokenIsMintedAgainFromTheEnvironmentsKey() throws Exception {
        mock.tokenExpiresIn(1);
        JsonObject c = conf(new JsonObject().put("expire_early_secs", 0));
        String sa = serviceAccount();
        try (PluginPipeline gw = PluginPipeline.of(new AiProxyPlugin(k -> "GCP_SERVICE_ACCOUNT".equals(k) ? sa : null), c)) {
            assertEquals(200, gw.post("/chat", CHAT).statusCode());
            assertEquals(1, mock.issuedTokens().size());
            Thread.sleep(1300); // past the token's one-second life
            assertEquals(200, gw.post("/chat", CHAT).statusCode());
            assertAssertionsValid();
            assertEquals(2, mock.issuedTokens().size());
            assertEquals("Bearer " + mock.issuedTokens().get(1), mock.lastRequest().header("authorization"));
        }
    }

    @Test
    void aFailedExchangeIs500AndNotCached() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount()));
        mock.tokenStatus(401);
        try (PluginPipeline gw = PluginPipeline.of(new AiProxyPlugin(k -> null), c)) {
            HttpResponse<String> r = gw.post("/chat", CHAT);
            assertEquals(500, r.statusCode());
            assertEquals("failed to get gcp access token", new JsonObject(r.body()).getString("error_msg"));
            assertEquals(500, gw.post("/chat", CHAT).statusCode());
            assertEquals(2, mock.count(MockLlm.Kind.TOKEN));
            assertEquals(0, mock.count(MockLlm.Kind.CHAT));
        }
    }

    @Test
    void embeddingsGoThroughPredictAndComeBackInOpenAIsShape() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount()));
        mock.embeddingTokensPerInput(4);
        try (PluginPipeline gw = PluginPipeline.of(new AiProxyPlugin(k -> null), c)) {
            HttpResponse<String> r = gw.post("/emb",
                    "{\"model\":\"gemini-embedding-001\",\"input\":[\"first text\",\"second text\"]}");
            assertEquals(200, r.statusCode(), r.body());
            MockLlm.RecordedRequest s = mock.lastRequest();
            assertEquals("/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-embedding-001:predict",
                    s.path());
            assertEquals(new JsonObject().put("instances", new JsonArray()
                    .add(new JsonObject().put("content", "first text"))
                    .add(new JsonObject().put("content", "second text"))), s.json());
            JsonObject out = new JsonObject(r.body());
            assertEquals("list", out.getString("object"));
            assertEquals("gemini-embedding-001", out.getString("model"));
            assertEquals(2, out.getJsonArray("data").size());
            assertEquals(mock.embedding("second text"),
                    out.getJsonArray("data").getJsonObject(1).getJsonArray("embedding"));
            assertEquals(1, out.getJsonArray("data").getJsonObject(1).getInteger("index"));
            assertEquals(8, out.getJsonObject("usage").getInteger("prompt_tokens"));
            assertEquals(8, out.getJsonObject("usage").getInteger("total_tokens"));
            RequestContext ctx = gw.nextFinished();
            assertEquals(8L, ctx.var("llm_prompt_tokens"));
        }
    }
}
