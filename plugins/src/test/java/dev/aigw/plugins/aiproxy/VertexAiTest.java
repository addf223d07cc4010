package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vertex AI: service-account tokens (signed, cached, single-flight, refreshed) and embeddings conversion. */
class VertexAiTest {

    static Vertx vertx;
    static MockLlm mock;
    static KeyPair keys;
    static final AtomicInteger mints = new AtomicInteger();
    static final List<String> badAssertions = new CopyOnWriteArrayList<>();
    static volatile int expiresIn = 3600;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        mock = new MockLlm(vertx);
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        mock.on("/token", (req, s) -> {
            Map<String, String> form = new HashMap<>();
            for (String pair : s.body().toString().split("&")) {
                int eq = pair.indexOf('=');
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            String problem = checkAssertion(form);
            if (problem != null) {
                badAssertions.add(problem);
                req.response().setStatusCode(400).end("{\"error\":\"invalid_grant\"}");
                return;
            }
            int n = mints.incrementAndGet();
            // answer late, so that a burst of requests finds the exchange still under way
            vertx.setTimer(200, t -> MockLlm.json(req, new JsonObject().put("access_token", "tok-" + n)
                    .put("expires_in", expiresIn).put("token_type", "Bearer")));
        });
    }

    static String checkAssertion(Map<String, String> form) {
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type"))) {
            return "grant_type " + form.get("grant_type");
        }
        String[] parts = form.getOrDefault("assertion", "").split("\\.");
        if (parts.length != 3) {
            return "not a JWT";
        }
        try {
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initVerify(keys.getPublic());
            sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!sig.verify(Base64.getUrlDecoder().decode(parts[2]))) {
                return "bad signature";
            }
            JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
            JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            if (!"RS256".equals(header.getString("alg"))) {
                return "alg " + header.getString("alg");
            }
            if (!"sa@proj.iam.gserviceaccount.com".equals(claims.getString("iss"))
                    || !(mock.base() + "/token").equals(claims.getString("aud"))
                    || claims.getLong("exp") <= claims.getLong("iat")) {
                return "claims " + claims.encode();
            }
        } catch (Exception e) {
            return e.toString();
        }
        return null;
    }

    @AfterAll
    static void stop() throws Exception {
        mock.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        mock.seen.clear();
        mints.set(0);
        badAssertions.clear();
        expiresIn = 3600;
    }

    static String serviceAccount() {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        return new JsonObject().put("type", "service_account").put("project_id", "proj")
                .put("private_key_id", "k1").put("private_key", pem)
                .put("client_email", "sa@proj.iam.gserviceaccount.com")
                .put("token_uri", mock.base() + "/token").encode();
    }

    static JsonObject conf(JsonObject gcp) {
        return new JsonObject().put("provider", "vertex-ai")
                .put("auth", new JsonObject().put("gcp", gcp))
                .put("provider_conf", new JsonObject().put("project_id", "proj").put("region", "us-central1"))
                .put("override", new JsonObject().put("endpoint", mock.base()));
    }

    static final String CHAT = "{\"model\":\"gemini-2.0-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aBurstOnAColdCacheMintsOneToken() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount()));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(k -> null), c)) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(Http.CLIENT.sendAsync(Http.post(gw.url("/chat"), CHAT).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : all) {
                HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
            }
            assertEquals(List.of(), badAssertions);
            assertEquals(1, mints.get());
            long chats = mock.seen.stream().filter(s -> s.path().endsWith("/chat/completions")).count();
            assertEquals(20, chats);
            mock.seen.stream().filter(s -> s.path().endsWith("/chat/completions"))
                    .forEach(s -> assertEquals("Bearer tok-1", s.header("authorization")));
            // and a later request reuses it
            assertEquals(200, Http.send(gw.url("/chat"), CHAT).statusCode());
            assertEquals(1, mints.get());
        }
    }

    @Test
    void anExpiredTokenIsMintedAgainFromTheEnvironmentsKey() throws Exception {
        expiresIn = 1;
        JsonObject c = conf(new JsonObject().put("expire_early_secs", 0));
        String sa = serviceAccount();
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(k -> "GCP_SERVICE_ACCOUNT".equals(k) ? sa : null), c)) {
            assertEquals(200, Http.send(gw.url("/chat"), CHAT).statusCode());
            assertEquals(1, mints.get());
            Thread.sleep(1300); // past the token's one-second life
            assertEquals(200, Http.send(gw.url("/chat"), CHAT).statusCode());
            assertEquals(2, mints.get());
            assertEquals("Bearer tok-2", mock.last().header("authorization"));
        }
    }

    @Test
    void aFailedExchangeIs500AndNotCached() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount().replace("/token", "/no-token")));
        mock.on("/no-token", (req, s) -> req.response().setStatusCode(401).end("{}"));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(k -> null), c)) {
            HttpResponse<String> r = Http.send(gw.url("/chat"), CHAT);
            assertEquals(500, r.statusCode());
            assertEquals("failed to get gcp access token", new JsonObject(r.body()).getString("error_msg"));
            assertEquals(500, Http.send(gw.url("/chat"), CHAT).statusCode());
            assertEquals(2, mock.seen.stream().filter(s -> s.path().equals("/no-token")).count());
        }
    }

    @Test
    void embeddingsGoThroughPredictAndComeBackInOpenAIsShape() throws Exception {
        JsonObject c = conf(new JsonObject().put("service_account_json", serviceAccount()));
        try (TestPipeline gw = new TestPipeline(vertx, new AiProxyPlugin(k -> null), c)) {
            HttpResponse<String> r = Http.send(gw.url("/emb"),
                    "{\"model\":\"gemini-embedding-001\",\"input\":[\"first text\",\"second text\"]}");
            assertEquals(200, r.statusCode(), r.body());
            MockLlm.Seen s = mock.last();
            assertEquals("/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-embedding-001:predict",
                    s.path());
            assertEquals(new JsonObject().put("instances", new JsonArray()
                    .add(new JsonObject().put("content", "first text"))
                    .add(new JsonObject().put("content", "second text"))), s.json());
            JsonObject out = new JsonObject(r.body());
            assertEquals("list", out.getString("object"));
            assertEquals("gemini-embedding-001", out.getString("model"));
            assertEquals(2, out.getJsonArray("data").size());
            assertEquals(new JsonArray().add(0.0123).add(-0.0456),
                    out.getJsonArray("data").getJsonObject(1).getJsonArray("embedding"));
            assertEquals(1, out.getJsonArray("data").getJsonObject(1).getInteger("index"));
            assertEquals(8, out.getJsonObject("usage").getInteger("prompt_tokens"));
            assertEquals(8, out.getJsonObject("usage").getInteger("total_tokens"));
            RequestContext ctx = gw.nextFinished();
            assertEquals(8L, ctx.var("llm_prompt_tokens"));
        }
    }
}
