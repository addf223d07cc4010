package dev.aigw.t.auth;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * basic-auth and jwt-auth as a user meets them on the built-in store: consumers and routes through
 * the Admin API, requests through the gateway to a plain upstream (the mock, which records what it
 * received), APISIX's 401 bodies and {@code WWW-Authenticate}, secrets stored as APISIX stores them.
 * Tokens are signed here with the JDK.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthPluginsTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String KEYRING_0 = "qeddd145sfvddff3";

    GatewayProcess gw;
    MockLlm mock;
    Path prefix;

    @RegisterExtension
    final TestWatcher dumpOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (gw != null) {
                System.err.println("gateway output after " + context.getDisplayName() + " failed:\n" + gw.outputTail(60));
            }
        }
    };

    @BeforeAll
    void start() throws IOException {
        mock = new MockLlm();
        prefix = Files.createTempDirectory("aigw-auth-");
        // a generous start timeout: the test machine is shared
        gw = GatewayProcess.builder(prefix).config(GatewayConfig.create().builtinStore())
                .startTimeout(Duration.ofSeconds(60)).start();
    }

    @AfterAll
    void stop() {
        try {
            if (gw != null) {
                gw.close();
            }
        } finally {
            mock.close();
        }
    }

    @BeforeEach
    void resetMock() {
        mock.reset();
    }

    // ---------------------------------------------------------------- basic-auth

    @Test
    void basicAuthIdentifiesTheConsumerAndAnswersAsApisix() {
        put("/consumers", new JsonObject().put("username", "ba_alice").put("plugins", new JsonObject()
                .put("basic-auth", new JsonObject().put("username", "alice").put("password", "pa:ss-1"))));
        put("/routes/ba", route("/ba/*", new JsonObject().put("basic-auth", new JsonObject())));
        String path = "/ba/v1/chat/completions";

        HttpResult ok = await(() -> post(path, "Authorization", basic("alice", "pa:ss-1")), r -> r.status() == 200,
                "alice gets through");
        assertEquals("ba_alice", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals(basic("alice", "pa:ss-1"), mock.lastRequest().header("Authorization"),
                "without hide_credentials the header goes upstream");
        assertEquals(200, ok.status());

        mock.reset();
        HttpResult wrong = post(path, "Authorization", basic("alice", "pa:ss-2"));
        assertUnauthorized(wrong, "Invalid user authorization", "Basic realm=\"basic\"");
        assertUnauthorized(post(path, "Authorization", basic("bob", "pa:ss-1")), "Invalid user authorization",
                "Basic realm=\"basic\"");
        assertUnauthorized(post(path), "Missing authorization in request", "Basic realm=\"basic\"");
        assertUnauthorized(post(path, "Authorization", "Bearer abc"), "Invalid authorization in request",
                "Basic realm=\"basic\"");
        assertUnauthorized(post(path, "Authorization", "Basic " + b64("no-colon")), "Invalid authorization in request",
                "Basic realm=\"basic\"");
        assertEquals(0, mock.count(), "nothing reached the upstream");
    }

    @Test
    void basicAuthHidesCredentialsAndFallsBackToTheAnonymousConsumer() {
        put("/consumers", new JsonObject().put("username", "ba_hidden").put("plugins", new JsonObject()
                .put("basic-auth", new JsonObject().put("username", "hidden").put("password", "pw-hidden"))));
        put("/consumers", new JsonObject().put("username", "ba_guest"));
        put("/routes/bahide", route("/bahide/*", new JsonObject().put("basic-auth", new JsonObject()
                .put("hide_credentials", true).put("realm", "team"))));
        put("/routes/baanon", route("/baanon/*", new JsonObject().put("basic-auth", new JsonObject()
                .put("anonymous_consumer", "ba_guest"))));
        put("/routes/banone", route("/banone/*", new JsonObject().put("basic-auth", new JsonObject()
                .put("anonymous_consumer", "ba_nobody"))));

        await(() -> post("/bahide/v1/chat/completions", "Authorization", basic("hidden", "pw-hidden")),
                r -> r.status() == 200, "hidden gets through");
        assertNull(mock.lastRequest().header("Authorization"), "the upstream never sees the credentials");
        assertEquals("ba_hidden", mock.lastRequest().header("X-Consumer-Username"));
        assertUnauthorized(post("/bahide/v1/chat/completions"), "Missing authorization in request", "Basic realm=\"team\"");

        await(() -> post("/baanon/v1/chat/completions"), r -> r.status() == 200, "anonymous gets through");
        assertEquals("ba_guest", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals(200, post("/baanon/v1/chat/completions", "Authorization", basic("hidden", "pw-hidden")).status());
        assertEquals("ba_hidden", mock.lastRequest().header("X-Consumer-Username"), "a valid user is still identified");

        await(() -> post("/banone/v1/chat/completions"), r -> r.status() == 401, "route live");
        assertUnauthorized(post("/banone/v1/chat/completions"), "Invalid user authorization", "Basic realm=\"basic\"");
    }

    @Test
    void basicAuthPasswordIsStoredEncryptedAndDuplicateUsernamesAreRefused() {
        put("/consumers", new JsonObject().put("username", "ba_dup1").put("plugins", new JsonObject()
                .put("basic-auth", new JsonObject().put("username", "shared").put("password", "pw-one-secret"))));
        HttpResult dup = gw.admin("PUT", "/consumers", new JsonObject().put("username", "ba_dup2").put("plugins",
                new JsonObject().put("basic-auth", new JsonObject().put("username", "shared").put("password", "other")))
                .encode());
        assertEquals(400, dup.status());
        assertEquals("duplicate username of plugin basic-auth found with consumer: ba_dup1", dup.jsonObject().getString("error_msg"));
        assertEquals(404, gw.admin("GET", "/consumers/ba_dup2", null).status(), "nothing stored");

        HttpResult missing = gw.admin("PUT", "/consumers", new JsonObject().put("username", "ba_dup3").put("plugins",
                new JsonObject().put("basic-auth", new JsonObject().put("username", "x"))).encode());
        assertEquals(400, missing.status());
        assertTrue(missing.jsonObject().getString("error_msg")
                .startsWith("invalid plugins configuration: failed to check the configuration of plugin basic-auth err:"),
                missing.body());

        String stored = stored("/apisix/consumers/ba_dup1");
        assertFalse(stored.contains("pw-one-secret"), "password stored in clear: " + stored);
        assertTrue(stored.contains(opensslEncrypt("pw-one-secret", KEYRING_0)), "APISIX's encrypted form: " + stored);
        assertEquals("pw-one-secret", gw.admin("GET", "/consumers/ba_dup1", null).jsonObject().getJsonObject("value")
                .getJsonObject("plugins").getJsonObject("basic-auth").getString("password"), "Admin GET shows it in clear");
    }

    // ---------------------------------------------------------------- jwt-auth

    @Test
    void jwtAuthHs256FromHeaderQueryAndCookie() throws Exception {
        put("/consumers", new JsonObject().put("username", "jwt_hs").put("plugins", new JsonObject()
                .put("jwt-auth", new JsonObject().put("key", "hs-key").put("secret", "my-secret-key"))));
        put("/routes/jwths", route("/jwths/*", new JsonObject().put("jwt-auth", new JsonObject())));
        String path = "/jwths/v1/chat/completions";
        long now = System.currentTimeMillis() / 1000;
        String token = hs("HS256", "my-secret-key", new JsonObject().put("key", "hs-key").put("exp", now + 600));

        await(() -> post(path, "Authorization", "Bearer " + token), r -> r.status() == 200, "bearer token accepted");
        assertEquals("jwt_hs", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals(200, post(path, "Authorization", token).status(), "without the Bearer prefix");
        assertEquals(200, post(path + "?jwt=" + token).status(), "from the query");
        assertEquals("jwt=" + token, mock.lastRequest().query(), "not hidden by default");
        assertEquals(200, post(path, "Cookie", "a=1; jwt=" + token).status(), "from the cookie");

        String realm = "Bearer realm=\"jwt\"";
        assertUnauthorized(post(path), "Missing JWT token in request", realm);
        assertUnauthorized(post(path, "Authorization", "Bearer not-a-jwt"), "JWT token invalid", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS256", "my-secret-key", new JsonObject().put("sub", "x"))),
                "missing user key in JWT token", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS256", "my-secret-key", new JsonObject().put("key", "nobody"))),
                "Invalid user key in JWT token", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS256", "wrong-secret", new JsonObject().put("key", "hs-key"))),
                "failed to verify jwt", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS512", "my-secret-key", new JsonObject().put("key", "hs-key"))),
                "failed to verify jwt", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS256", "my-secret-key",
                new JsonObject().put("key", "hs-key").put("exp", now - 60))), "failed to verify jwt", realm);
        assertUnauthorized(post(path, "Authorization", hs("HS256", "my-secret-key",
                new JsonObject().put("key", "hs-key").put("nbf", now + 600))), "failed to verify jwt", realm);
        // a token whose signature is another token's
        String other = hs("HS256", "my-secret-key", new JsonObject().put("key", "hs-key").put("exp", now + 601));
        String forged = token.substring(0, token.lastIndexOf('.')) + other.substring(other.lastIndexOf('.'));
        assertUnauthorized(post(path, "Authorization", forged), "failed to verify jwt", realm);
    }

    /** A token accepted once is judged again on every use: the clock, the route's claims, consumer changes. */
    @Test
    void jwtAuthAcceptedTokenIsJudgedAgainOnEveryUse() throws Exception {
        put("/consumers", new JsonObject().put("username", "jwt_again").put("plugins", new JsonObject()
                .put("jwt-auth", new JsonObject().put("key", "again-key").put("secret", "secret-one"))));
        put("/routes/jwtagain", route("/jwtagain/*", new JsonObject().put("jwt-auth", new JsonObject())));
        put("/routes/jwtexp", route("/jwtexp/*", new JsonObject().put("jwt-auth", new JsonObject()
                .put("claims_to_verify", new JsonArray().add("exp")))));
        String path = "/jwtagain/v1/chat/completions";
        String realm = "Bearer realm=\"jwt\"";
        long now = System.currentTimeMillis() / 1000;
        String token = hs("HS256", "secret-one", new JsonObject().put("key", "again-key").put("exp", now + 600));
        await(() -> post(path, "Authorization", token), r -> r.status() == 200, "token accepted");
        assertEquals(200, post(path, "Authorization", token).status(), "and again");

        // accepted without exp on one route, refused by a route that requires exp
        String noExp = hs("HS256", "secret-one", new JsonObject().put("key", "again-key"));
        assertEquals(200, post(path, "Authorization", noExp).status());
        await(() -> post("/jwtexp/v1/chat/completions", "Authorization", noExp), r -> r.status() == 401, "exp required");
        assertUnauthorized(post("/jwtexp/v1/chat/completions", "Authorization", noExp), "failed to verify jwt", realm);
        assertEquals(200, post("/jwtexp/v1/chat/completions", "Authorization", token).status());

        // a token that expires while in use is refused once its exp has passed
        long exp = System.currentTimeMillis() / 1000 + 2;
        String shortLived = hs("HS256", "secret-one", new JsonObject().put("key", "again-key").put("exp", exp));
        assertEquals(200, post(path, "Authorization", shortLived).status());
        for (int i = 0; i < 100 && System.currentTimeMillis() / 1000 <= exp; i++) {
            Thread.sleep(100);
        }
        assertUnauthorized(post(path, "Authorization", shortLived), "failed to verify jwt", realm);

        // the consumer's secret changes: the token signed with the old one no longer passes
        put("/consumers", new JsonObject().put("username", "jwt_again").put("plugins", new JsonObject()
                .put("jwt-auth", new JsonObject().put("key", "again-key").put("secret", "secret-two"))));
        await(() -> post(path, "Authorization", token), r -> r.status() == 401, "old secret refused");
        assertUnauthorized(post(path, "Authorization", token), "failed to verify jwt", realm);
        String renewed = hs("HS256", "secret-two", new JsonObject().put("key", "again-key").put("exp", now + 600));
        assertEquals(200, post(path, "Authorization", renewed).status());

        // the consumer is deleted: its tokens name nobody
        assertEquals(200, gw.admin("DELETE", "/consumers/jwt_again", null).status());
        await(() -> post(path, "Authorization", renewed), r -> r.status() == 401, "deleted consumer refused");
        assertUnauthorized(post(path, "Authorization", renewed), "Invalid user key in JWT token", realm);
    }

    @Test
    void jwtAuthRs256ClaimsToVerifyAndHideCredentials() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        put("/consumers", new JsonObject().put("username", "jwt_rs").put("plugins", new JsonObject()
                .put("jwt-auth", new JsonObject().put("key", "rs-key").put("algorithm", "RS256").put("public_key", pem)
                        .put("lifetime_grace_period", 30))));
        put("/routes/jwtrs", route("/jwtrs/*", new JsonObject().put("jwt-auth", new JsonObject()
                .put("hide_credentials", true).put("claims_to_verify", new JsonArray().add("exp"))
                .put("key_claim_name", "iss").put("header", "x-jwt"))));
        String path = "/jwtrs/v1/chat/completions";
        long now = System.currentTimeMillis() / 1000;
        String token = rs(pair.getPrivate(), new JsonObject().put("iss", "rs-key").put("exp", now + 600));

        await(() -> post(path, "x-jwt", token, "X-Keep", "1"), r -> r.status() == 200, "RS256 token accepted");
        assertEquals("jwt_rs", mock.lastRequest().header("X-Consumer-Username"));
        assertNull(mock.lastRequest().header("x-jwt"), "the token header is hidden");
        assertEquals("1", mock.lastRequest().header("X-Keep"));
        assertEquals(200, post(path + "?jwt=" + token + "&keep=1").status());
        assertEquals("keep=1", mock.lastRequest().query(), "the token query argument is hidden");
        assertEquals(200, post(path, "Cookie", "a=1; jwt=" + token + "; b=2").status());
        assertEquals("a=1; b=2", mock.lastRequest().header("Cookie"), "the token cookie is hidden");

        String realm = "Bearer realm=\"jwt\"";
        assertUnauthorized(post(path, "x-jwt", rs(pair.getPrivate(), new JsonObject().put("iss", "rs-key"))),
                "failed to verify jwt", realm); // claims_to_verify: exp must be present
        assertEquals(200, post(path, "x-jwt", rs(pair.getPrivate(), new JsonObject().put("iss", "rs-key")
                .put("exp", now - 10))).status(), "within lifetime_grace_period");
        assertUnauthorized(post(path, "x-jwt", rs(pair.getPrivate(), new JsonObject().put("iss", "rs-key")
                .put("exp", now - 120))), "failed to verify jwt", realm);
        KeyPair stranger = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        assertUnauthorized(post(path, "x-jwt", rs(stranger.getPrivate(), new JsonObject().put("iss", "rs-key")
                .put("exp", now + 600))), "failed to verify jwt", realm);
        // HS256 signed with the public key as secret: the classic algorithm confusion is refused
        assertUnauthorized(post(path, "x-jwt", hs("HS256", pem, new JsonObject().put("iss", "rs-key").put("exp", now + 600))),
                "failed to verify jwt", realm);

        HttpResult badKey = gw.admin("PUT", "/consumers", new JsonObject().put("username", "jwt_bad").put("plugins",
                new JsonObject().put("jwt-auth", new JsonObject().put("key", "bad").put("algorithm", "RS256")
                        .put("public_key", "not a pem"))).encode());
        assertEquals(400, badKey.status());
        assertTrue(badKey.jsonObject().getString("error_msg").contains("invalid public_key"), badKey.body());
        HttpResult noSecret = gw.admin("PUT", "/consumers", new JsonObject().put("username", "jwt_bad").put("plugins",
                new JsonObject().put("jwt-auth", new JsonObject().put("key", "bad"))).encode());
        assertEquals(400, noSecret.status());
        assertTrue(noSecret.jsonObject().getString("error_msg")
                .endsWith("property \"secret\" is required when using HS based algorithms"), noSecret.body());
    }

    @Test
    void oneConsumerWithKeyAuthAndJwtAuthCredentials() throws Exception {
        // the consumer's own plugins are laid over the route's, whichever auth plugin identified it
        put("/consumers", new JsonObject().put("username", "both").put("plugins", new JsonObject()
                .put("key-auth", new JsonObject().put("key", "both-api-key"))
                .put("proxy-rewrite", new JsonObject().put("headers", new JsonObject()
                        .put("set", new JsonObject().put("X-Tier", "consumer"))))));
        put("/consumers/both/credentials/jwt", new JsonObject().put("plugins", new JsonObject()
                .put("jwt-auth", new JsonObject().put("key", "both-jwt").put("secret", "c2VjcmV0LWJhc2U2NA==")
                        .put("base64_secret", true))));
        put("/routes/kaboth", route("/kaboth/*", new JsonObject().put("key-auth", new JsonObject())));
        put("/routes/jwtboth", route("/jwtboth/*", new JsonObject().put("jwt-auth", new JsonObject().put("store_in_ctx", true))
                .put("proxy-rewrite", new JsonObject().put("headers", new JsonObject()
                        .put("set", new JsonObject().put("X-Tier", "route"))))));

        await(() -> post("/kaboth/v1/chat/completions", "apikey", "both-api-key"), r -> r.status() == 200, "key-auth");
        assertEquals("both", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals("consumer", mock.lastRequest().header("X-Tier"), "the consumer's plugin is added");
        String token = hs("HS256", "secret-base64", new JsonObject().put("key", "both-jwt"));
        await(() -> post("/jwtboth/v1/chat/completions", "Authorization", "Bearer " + token), r -> r.status() == 200,
                "jwt-auth through the credential (base64 secret)");
        assertEquals("both", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals("jwt", mock.lastRequest().header("X-Credential-Identifier"));
        // as APISIX: a consumer plugin that overrides one of the route's is not re-run in the rewrite
        // phase (only added ones are, apisix/plugin.lua _from_consumer), so the route's rewrite stands
        assertEquals("route", mock.lastRequest().header("X-Tier"), "the route's proxy-rewrite ran before the consumer was known");
        assertEquals(401, post("/jwtboth/v1/chat/completions", "apikey", "both-api-key").status(),
                "a key-auth key is no JWT");

        // the jwt secret is stored encrypted as APISIX stores it; the duplicate key is refused
        String stored = stored("/apisix/consumers/both/credentials/jwt");
        assertFalse(stored.contains("c2VjcmV0LWJhc2U2NA=="), "secret stored in clear: " + stored);
        assertTrue(stored.contains(opensslEncrypt("c2VjcmV0LWJhc2U2NA==", KEYRING_0)), stored);
        put("/consumers", new JsonObject().put("username", "other_jwt"));
        HttpResult dup = gw.admin("PUT", "/consumers/other_jwt/credentials/c", new JsonObject().put("plugins",
                new JsonObject().put("jwt-auth", new JsonObject().put("key", "both-jwt").put("secret", "x"))).encode());
        assertEquals(400, dup.status());
        assertEquals("duplicate key of plugin jwt-auth found with credential: jwt of consumer: both",
                dup.jsonObject().getString("error_msg"));
    }

    // ---------------------------------------------------------------- helpers

    JsonObject route(String uri, JsonObject plugins) {
        return new JsonObject().put("uri", uri).put("plugins", plugins).put("upstream", new JsonObject()
                .put("type", "roundrobin").put("nodes", new JsonObject().put(mock.hostPort(), 1)));
    }

    void put(String path, JsonObject body) {
        HttpResult r = gw.admin("PUT", path, body.encode());
        if (r.status() != 200 && r.status() != 201) {
            fail("PUT " + path + " " + body + " -> " + r);
        }
    }

    HttpResult post(String path, String... headers) {
        return gw.http("POST", path, "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", headers);
    }

    static void assertUnauthorized(HttpResult r, String message, String wwwAuthenticate) {
        assertEquals(401, r.status(), r.toString());
        assertEquals(new JsonObject().put("message", message), new JsonObject(r.body()), r.body());
        assertEquals(wwwAuthenticate, r.header("WWW-Authenticate"));
    }

    HttpResult await(Supplier<HttpResult> call, Predicate<HttpResult> ok, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResult last = null;
        while (System.nanoTime() - deadline < 0) {
            last = call.get();
            if (ok.test(last)) {
                return last;
            }
            sleep(50);
        }
        fail("not within " + WAIT.toSeconds() + " s: " + what + "; last answer: " + last);
        return last;
    }

    /** The built-in store's file and journal, once they mention {@code key} (bounded wait). */
    String stored(String key) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                Path journal = prefix.resolve("data/store.json.journal");
                String text = Files.readString(prefix.resolve("data/store.json"))
                        + (Files.exists(journal) ? Files.readString(journal) : "");
                if (text.contains(key) || System.nanoTime() - deadline >= 0) {
                    return text;
                }
            } catch (IOException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException(e);
                }
            }
            sleep(50);
        }
    }

    static String basic(String user, String password) {
        return "Basic " + b64(user + ":" + password);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String b64url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String signingInput(String alg, JsonObject payload) {
        return b64url(new JsonObject().put("typ", "JWT").put("alg", alg).encode().getBytes(StandardCharsets.UTF_8)) + "."
                + b64url(payload.encode().getBytes(StandardCharsets.UTF_8));
    }

    static String hs(String alg, String secret, JsonObject payload) throws GeneralSecurityException {
        String input = signingInput(alg, payload);
        String macAlg = "HmacSHA" + alg.substring(2);
        Mac mac = Mac.getInstance(macAlg);
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlg));
        return input + "." + b64url(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    static String rs(PrivateKey key, JsonObject payload) throws GeneralSecurityException {
        String input = signingInput("RS256", payload);
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64url(sig.sign());
    }

    /** APISIX's stored form of a secret: base64(AES-128-CBC(value)), key and IV the key bytes, made by openssl. */
    static String opensslEncrypt(String value, String key) {
        String hex = HexFormat.of().formatHex(key.getBytes(StandardCharsets.US_ASCII));
        try {
            Process p = new ProcessBuilder("openssl", "enc", "-aes-128-cbc", "-K", hex, "-iv", hex, "-base64", "-A")
                    .redirectErrorStream(true).start();
            p.getOutputStream().write(value.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
