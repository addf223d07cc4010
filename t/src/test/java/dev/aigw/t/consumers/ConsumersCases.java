package dev.aigw.t.consumers;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.testkit.EtcdProcess;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Consumers and key-auth as a user meets them, the same cases on both stores: a gateway key handed
 * to a team, used by the official OpenAI SDK; APISIX's 401s; per-consumer and per-group plugins over
 * the route's; services and plugin configs; duplicate keys and referenced resources refused; secret
 * fields stored encrypted as APISIX stores them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConsumersCases {

    static final String PROVIDER_KEY = "sk-provider-route-0c1d";
    static final String GATEWAY_KEY = "gw-team-a-7f3e9b";
    static final Duration WAIT = Duration.ofSeconds(10);

    protected EtcdProcess etcd;
    protected GatewayProcess gw;
    protected MockLlm mock;
    protected Path prefix;
    private volatile boolean failed;

    @RegisterExtension
    final TestWatcher dumpOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
            if (gw != null) {
                System.err.println("gateway output after " + context.getDisplayName() + " failed (prefix "
                        + prefix + "):\n" + gw.outputTail(60));
            }
        }
    };

    abstract boolean useEtcd();

    @BeforeAll
    void start() throws IOException {
        mock = new MockLlm();
        prefix = Files.createTempDirectory("aigw-consumers-");
        GatewayConfig config = GatewayConfig.create();
        if (useEtcd()) {
            etcd = EtcdProcess.start();
            config.etcd(etcd.endpoint());
        } else {
            config.builtinStore();
        }
        config.set("nginx_config.http.access_log_format", "CONS|$http_x_test_id|$consumer_name|$consumer_group_id|$status");
        gw = GatewayProcess.start(prefix, config);
    }

    @AfterAll
    void stop() {
        try {
            if (gw != null) {
                gw.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
            mock.close();
        }
    }

    @BeforeEach
    void resetMock() {
        mock.reset();
    }

    // ---- helpers ----

    HttpResult put(String path, JsonObject body) {
        HttpResult r = gw.admin("PUT", path, body.encode());
        if (r.status() != 200 && r.status() != 201) {
            fail("PUT " + path + " " + body + " -> " + r);
        }
        return r;
    }

    static JsonObject aiProxy(String endpoint, String providerKey) {
        return new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer " + providerKey)))
                .put("override", new JsonObject().put("endpoint", endpoint));
    }

    static JsonObject keyAuth(String key) {
        return new JsonObject().put("key-auth", new JsonObject().put("key", key));
    }

    /** An AI route on {@code uri} behind key-auth ({@code keyAuthConf}) with ai-proxy to the mock. */
    JsonObject aiRoute(String uri, JsonObject keyAuthConf) {
        return new JsonObject().put("uri", uri).put("plugins", new JsonObject()
                .put("key-auth", keyAuthConf).put("ai-proxy", aiProxy(mock.url(), PROVIDER_KEY)));
    }

    static String chatBody() {
        return "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /** Repeats {@code call} (bounded) until {@code ok} holds; returns the last result. */
    static HttpResult await(Supplier<HttpResult> call, Predicate<HttpResult> ok, String what) {
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

    OpenAIClient sdk(String basePath, String apiKey, String testId) {
        return OpenAIOkHttpClient.builder().baseUrl(gw.url(basePath)).apiKey(apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(20)).putHeader("X-Test-Id", testId).build();
    }

    /** Waits (bounded) for an access-log line. */
    void awaitAccessLog(String line) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!gw.accessLogLines().contains(line)) {
            if (System.nanoTime() - deadline >= 0) {
                fail("no access log line " + line + " in:\n" + String.join("\n", gw.accessLogLines()));
            }
            sleep(25);
        }
    }

    static String testId() {
        return "c-" + UUID.randomUUID().toString().substring(0, 10);
    }

    /** What the store holds at {@code key} (etcd or the built-in store's file), as text. */
    String stored(String key) {
        if (useEtcd()) {
            return etcdctl("get", key, "--print-value-only").trim();
        }
        // wait (bounded) for the key to be on disk
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                // the store file and its journal (recent writes are appended there first)
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

    String etcdctl(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("etcdctl", "--endpoints=" + etcd.endpoint()));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ETCDCTL_API", "3");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "etcdctl finished");
            assertEquals(0, p.exitValue(), "etcdctl " + args[0] + ": " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** APISIX's stored form of a secret: base64(AES-128-CBC(value)), key and IV the key bytes, made by openssl. */
    static String opensslEncrypt(String value, String key) {
        String hex = java.util.HexFormat.of().formatHex(key.getBytes(StandardCharsets.US_ASCII));
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

    static String opensslDecrypt(String base64, String key) {
        String hex = java.util.HexFormat.of().formatHex(key.getBytes(StandardCharsets.US_ASCII));
        try {
            Process p = new ProcessBuilder("openssl", "enc", "-d", "-aes-128-cbc", "-K", hex, "-iv", hex, "-base64", "-A")
                    .redirectErrorStream(true).start();
            p.getOutputStream().write(base64.getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
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

    // ---- the cases ----

    @Test
    void openAiSdkWithAGatewayKeyChatsAndStreams() {
        put("/consumers", new JsonObject().put("username", "team_a").put("plugins", keyAuth(GATEWAY_KEY)));
        put("/routes/sdk", aiRoute("/sdk/*", new JsonObject()));
        await(() -> gw.http("POST", "/sdk/v1/chat/completions", chatBody(), "Authorization", "Bearer " + GATEWAY_KEY),
                r -> r.status() == 200, "the consumer's key is accepted");
        mock.reset();

        String id = testId();
        mock.content("Hello, team A.");
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-4o")
                .addUserMessage("Say hello").build();
        ChatCompletion c = sdk("/sdk/v1", GATEWAY_KEY, id).chat().completions().create(params);
        assertEquals("Hello, team A.", c.choices().get(0).message().content().orElseThrow());
        MockLlm.RecordedRequest up = mock.lastRequest();
        assertEquals("Bearer " + PROVIDER_KEY, up.header("Authorization"), "the provider gets the provider key");
        up.headers().forEach((name, values) -> values.forEach(v ->
                assertFalse(v.contains(GATEWAY_KEY), "gateway key forwarded in " + name)));
        assertEquals("team_a", up.header("X-Consumer-Username"));

        StringBuilder text = new StringBuilder();
        mock.chunks(3).content("one two three");
        try (StreamResponse<ChatCompletionChunk> s = sdk("/sdk/v1", GATEWAY_KEY, id).chat().completions()
                .createStreaming(params)) {
            s.stream().forEach(ch -> ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append)));
        }
        assertEquals("one two three", text.toString());

        // the access log says who called
        awaitAccessLog("CONS|" + id + "|team_a|-|200");

        // a wrong key: the SDK sees 401
        assertThrows(UnauthorizedException.class,
                () -> sdk("/sdk/v1", "gw-wrong", id).chat().completions().create(params));
    }

    @Test
    void missingAndInvalidKeysGetApisixAnswers() {
        put("/consumers", new JsonObject().put("username", "jack").put("plugins", keyAuth("jack-key-1")));
        put("/routes/k401", aiRoute("/k401/*", new JsonObject()));
        await(() -> gw.http("POST", "/k401/v1/chat/completions", chatBody()), r -> r.status() == 401, "route live");

        HttpResult missing = gw.http("POST", "/k401/v1/chat/completions", chatBody());
        assertEquals(401, missing.status());
        assertEquals("{\"message\":\"Missing API key in request\"}\n", missing.body());
        assertEquals("apikey realm=\"key\"", missing.header("WWW-Authenticate"));
        assertTrue(missing.header("Content-Type").startsWith("text/plain"), missing.header("Content-Type"));

        HttpResult invalid = gw.http("POST", "/k401/v1/chat/completions", chatBody(), "apikey", "jack-key-2");
        assertEquals(401, invalid.status());
        assertEquals("{\"message\":\"Invalid API key in request\"}\n", invalid.body());
        assertEquals(0, mock.count(), "nothing reached the provider");

        // the header, then the query argument, then Authorization: Bearer and x-api-key
        assertEquals(200, gw.http("POST", "/k401/v1/chat/completions", chatBody(), "apikey", "jack-key-1").status());
        assertEquals(200, gw.http("POST", "/k401/v1/chat/completions?apikey=jack-key-1", chatBody()).status());
        assertEquals(200, gw.http("POST", "/k401/v1/chat/completions", chatBody(), "x-api-key", "jack-key-1").status());
        assertEquals(200, gw.http("POST", "/k401/v1/chat/completions", chatBody(), "Authorization", "Bearer jack-key-1").status());
        // exact match: a prefix of the key is no key
        assertEquals(401, gw.http("POST", "/k401/v1/chat/completions", chatBody(), "apikey", "jack-key-").status());
    }

    @Test
    void hideCredentialsKeepsTheGatewayKeyFromTheProvider() {
        put("/consumers", new JsonObject().put("username", "hidden").put("plugins", keyAuth("hidden-key-42")));
        put("/routes/hide", aiRoute("/hide/*", new JsonObject().put("hide_credentials", true)));
        await(() -> gw.http("POST", "/hide/v1/chat/completions", chatBody(), "apikey", "hidden-key-42"),
                r -> r.status() == 200, "route live");
        assertNull(mock.lastRequest().header("apikey"), "the apikey header is removed");

        mock.reset();
        assertEquals(200, gw.http("POST", "/hide/v1/chat/completions?apikey=hidden-key-42&keep=1", chatBody()).status());
        MockLlm.RecordedRequest up = mock.lastRequest();
        assertFalse(String.valueOf(up.query()).contains("hidden-key-42"), "query " + up.query());
        up.headers().forEach((name, values) -> values.forEach(v ->
                assertFalse(v.contains("hidden-key-42"), "gateway key forwarded in " + name)));
    }

    @Test
    void consumerAndGroupPluginsOverrideTheRoutes() {
        put("/consumer_groups/gold", new JsonObject().put("plugins", new JsonObject().put("ai-proxy",
                aiProxy(mock.url(), "sk-provider-group").put("options", new JsonObject().put("model", "group-model")))));
        put("/consumers", new JsonObject().put("username", "grouped").put("group_id", "gold")
                .put("plugins", keyAuth("grouped-key")));
        put("/consumers", new JsonObject().put("username", "own").put("group_id", "gold")
                .put("plugins", keyAuth("own-key").put("ai-proxy", aiProxy(mock.url(), "sk-provider-own"))));
        put("/consumers", new JsonObject().put("username", "plain").put("plugins", keyAuth("plain-key")));
        put("/routes/prec", aiRoute("/prec/*", new JsonObject()));
        await(() -> gw.http("POST", "/prec/v1/chat/completions", chatBody(), "apikey", "own-key"),
                r -> r.status() == 200 && "Bearer sk-provider-own".equals(mock.lastRequest().header("Authorization")),
                "the consumer's ai-proxy is used");

        String id = testId();
        assertEquals(200, gw.http("POST", "/prec/v1/chat/completions", chatBody(), "apikey", "grouped-key",
                "X-Test-Id", id).status());
        assertEquals("Bearer sk-provider-group", mock.lastRequest().header("Authorization"), "the group's ai-proxy");
        assertEquals("group-model", mock.lastRequest().json().getString("model"));
        awaitAccessLog("CONS|" + id + "|grouped|gold|200");

        assertEquals(200, gw.http("POST", "/prec/v1/chat/completions", chatBody(), "apikey", "plain-key").status());
        assertEquals("Bearer " + PROVIDER_KEY, mock.lastRequest().header("Authorization"), "no consumer plugins: the route's");

        // a group that is referenced cannot go, unless forced
        HttpResult refused = gw.admin("DELETE", "/consumer_groups/gold", null);
        assertEquals(400, refused.status());
        assertTrue(refused.body().contains("can not delete this consumer group, consumer [grouped] is still using it now")
                || refused.body().contains("consumer [own] is still using it now"), refused.body());
    }

    @Test
    void serviceAndPluginConfigMergeIntoTheRoute() {
        put("/consumers", new JsonObject().put("username", "svc_user").put("plugins", keyAuth("svc-key")));
        put("/services/ai", new JsonObject().put("plugins", new JsonObject().put("ai-proxy", aiProxy(mock.url(), PROVIDER_KEY))));
        put("/plugin_configs/auth", new JsonObject().put("plugins", new JsonObject().put("key-auth", new JsonObject())));
        put("/routes/merged", new JsonObject().put("uri", "/merged/*").put("service_id", "ai").put("plugin_config_id", "auth"));
        await(() -> gw.http("POST", "/merged/v1/chat/completions", chatBody()), r -> r.status() == 401,
                "the plugin config's key-auth guards the route");
        HttpResult ok = gw.http("POST", "/merged/v1/chat/completions", chatBody(), "apikey", "svc-key");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("Bearer " + PROVIDER_KEY, mock.lastRequest().header("Authorization"), "the service's ai-proxy");

        HttpResult del = gw.admin("DELETE", "/services/ai", null);
        assertEquals(400, del.status());
        assertEquals("can not delete this service directly, route [merged] is still using it now",
                del.jsonObject().getString("error_msg"));
        assertEquals(200, gw.admin("GET", "/services/ai", null).status(), "still there");
    }

    @Test
    void duplicateKeysAreRefused() {
        put("/consumers", new JsonObject().put("username", "dup_a").put("plugins", keyAuth("dup-key")));
        HttpResult r = gw.admin("PUT", "/consumers", new JsonObject().put("username", "dup_b")
                .put("plugins", keyAuth("dup-key")).encode());
        assertEquals(400, r.status());
        assertEquals("duplicate key of plugin key-auth found with consumer: dup_a", r.jsonObject().getString("error_msg"));
        assertEquals(404, gw.admin("GET", "/consumers/dup_b", null).status(), "nothing stored");

        put("/consumers", new JsonObject().put("username", "dup_b"));
        put("/consumers/dup_b/credentials/c1", new JsonObject().put("plugins", keyAuth("cred-key")));
        HttpResult c = gw.admin("PUT", "/consumers/dup_a/credentials/c2", new JsonObject()
                .put("plugins", keyAuth("cred-key")).encode());
        assertEquals(400, c.status());
        assertEquals("duplicate key of plugin key-auth found with credential: c1 of consumer: dup_b",
                c.jsonObject().getString("error_msg"));
        // storing the same key again on the same consumer is no conflict
        put("/consumers", new JsonObject().put("username", "dup_a").put("plugins", keyAuth("dup-key")).put("desc", "again"));

        HttpResult orphan = gw.admin("PUT", "/consumers/nobody/credentials/c1", new JsonObject()
                .put("plugins", keyAuth("orphan-key")).encode());
        assertEquals(404, orphan.status());
        assertEquals("consumer not found", orphan.jsonObject().getString("error_msg"));
        HttpResult notAuth = gw.admin("PUT", "/consumers/dup_b/credentials/c3", new JsonObject()
                .put("plugins", new JsonObject().put("proxy-rewrite", new JsonObject().put("uri", "/x"))).encode());
        assertEquals(400, notAuth.status());
        assertEquals("only supports auth type plugins in consumer credential", notAuth.jsonObject().getString("error_msg"));
        HttpResult wrong = gw.admin("PUT", "/consumers/dup_c", new JsonObject().put("username", "dup_d").encode());
        assertEquals("wrong username", wrong.jsonObject().getString("error_msg"));
        assertEquals(405, gw.admin("POST", "/consumers", new JsonObject().put("username", "x").encode()).status());
    }

    @Test
    void credentialsIdentifyTheirConsumerAndGoWithIt() {
        put("/consumers", new JsonObject().put("username", "cred_owner"));
        put("/consumers/cred_owner/credentials/laptop", new JsonObject().put("plugins", keyAuth("laptop-key")));
        put("/routes/cred", aiRoute("/cred/*", new JsonObject()));
        await(() -> gw.http("POST", "/cred/v1/chat/completions", chatBody(), "apikey", "laptop-key"),
                r -> r.status() == 200, "the credential's key is accepted");
        assertEquals("cred_owner", mock.lastRequest().header("X-Consumer-Username"));
        assertEquals("laptop", mock.lastRequest().header("X-Credential-Identifier"));

        HttpResult list = gw.admin("GET", "/consumers", null);
        assertTrue(list.jsonObject().getJsonArray("list").stream()
                .map(o -> ((JsonObject) o).getString("key")).noneMatch(k -> k.contains("/credentials/")),
                "credentials are not listed as consumers: " + list.body());
        HttpResult creds = gw.admin("GET", "/consumers/cred_owner/credentials", null);
        assertEquals(1, creds.jsonObject().getInteger("total"));
        // Admin GET shows the key in clear; the store holds it encrypted
        HttpResult one = gw.admin("GET", "/consumers/cred_owner/credentials/laptop", null);
        assertEquals("laptop-key", one.jsonObject().getJsonObject("value").getJsonObject("plugins")
                .getJsonObject("key-auth").getString("key"));
        String stored = stored("/apisix/consumers/cred_owner/credentials/laptop");
        assertFalse(stored.contains("laptop-key"), "key stored in clear: " + stored);
        assertTrue(stored.contains(opensslEncrypt("laptop-key", "qeddd145sfvddff3")), "APISIX's encrypted form: " + stored);

        assertEquals(200, gw.admin("DELETE", "/consumers/cred_owner", null).status());
        assertEquals(404, gw.admin("GET", "/consumers/cred_owner/credentials/laptop", null).status(),
                "a consumer's credentials go with it");
        await(() -> gw.http("POST", "/cred/v1/chat/completions", chatBody(), "apikey", "laptop-key"),
                r -> r.status() == 401, "the key no longer works");
    }

    @Test
    void providerKeysAreNeverStoredInClear() {
        put("/routes/secret", aiRoute("/secret/*", new JsonObject()));
        String stored = stored("/apisix/routes/secret");
        assertFalse(stored.contains(PROVIDER_KEY), "provider key stored in clear");
        String enc = opensslEncrypt("Bearer " + PROVIDER_KEY, "qeddd145sfvddff3");
        assertTrue(stored.contains(enc), "stored as APISIX stores it: " + stored);
        assertEquals("Bearer " + PROVIDER_KEY, opensslDecrypt(enc, "qeddd145sfvddff3"));
        HttpResult got = gw.admin("GET", "/routes/secret", null);
        assertEquals("Bearer " + PROVIDER_KEY, got.jsonObject().getJsonObject("value").getJsonObject("plugins")
                .getJsonObject("ai-proxy").getJsonObject("auth").getJsonObject("header").getString("Authorization"));
        assertNotEquals(-1, got.body().indexOf(PROVIDER_KEY));
    }

    @Test
    void redisPasswordsOfTheLimitAndCachePluginsAreStoredEncrypted() {
        JsonObject redis = new JsonObject().put("policy", "redis").put("redis_host", "127.0.0.1")
                .put("redis_port", 1).put("redis_password", "redis-pw-limit");
        JsonObject plugins = new JsonObject()
                .put("limit-count", redis.copy().put("count", 5).put("time_window", 60))
                .put("ai-rate-limiting", redis.copy().put("limit", 100).put("time_window", 60)
                        .put("sentinel_password", "redis-pw-sentinel"))
                .put("ai-cache", new JsonObject().put("layers", new io.vertx.core.json.JsonArray().add("exact"))
                        .put("redis_host", "127.0.0.1").put("redis_port", 1).put("redis_password", "redis-pw-cache"));
        put("/routes/redis-secrets", new JsonObject().put("uri", "/redis-secrets/*")
                .put("plugins", plugins.put("ai-proxy", aiProxy(mock.url(), PROVIDER_KEY))));
        String stored = stored("/apisix/routes/redis-secrets");
        for (String secret : new String[] {"redis-pw-limit", "redis-pw-sentinel", "redis-pw-cache"}) {
            assertFalse(stored.contains(secret), secret + " stored in clear: " + stored);
            assertTrue(stored.contains(opensslEncrypt(secret, "qeddd145sfvddff3")), "APISIX's encrypted form of " + secret);
        }
        JsonObject got = gw.admin("GET", "/routes/redis-secrets", null).jsonObject().getJsonObject("value")
                .getJsonObject("plugins");
        assertEquals("redis-pw-limit", got.getJsonObject("limit-count").getString("redis_password"));
        assertEquals("redis-pw-sentinel", got.getJsonObject("ai-rate-limiting").getString("sentinel_password"));
        assertEquals("redis-pw-cache", got.getJsonObject("ai-cache").getString("redis_password"));
    }
}
