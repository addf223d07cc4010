package dev.aigw.t.consumers;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link ConsumersCases} on a real etcd, plus data written into etcd the way APISIX writes it. */
class ConsumersEtcdTest extends ConsumersCases {

    @Override
    boolean useEtcd() {
        return true;
    }

    /**
     * A route, a consumer and a credential put straight into etcd in APISIX's encrypted form (the
     * secrets encrypted here by openssl with APISIX's default keyring, the second key for one of them
     * to show each key is tried) serve traffic with the clear values.
     */
    @Test
    void apisixEncryptedEntriesWrittenToEtcdServeTraffic() {
        String provider = opensslEncrypt("Bearer sk-provider-from-apisix", "qeddd145sfvddff3");
        etcdctl("put", "/apisix/routes/apx", new JsonObject().put("id", "apx").put("uri", "/apx/*")
                .put("plugins", new JsonObject().put("key-auth", new JsonObject())
                        .put("ai-proxy", new JsonObject().put("provider", "openai")
                                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", provider)))
                                .put("override", new JsonObject().put("endpoint", mock.url())))).encode());
        etcdctl("put", "/apisix/consumers/apx_user", new JsonObject().put("username", "apx_user")
                .put("plugins", keyAuth(opensslEncrypt("apx-consumer-key", "qeddd145sfvddff3"))).encode());
        etcdctl("put", "/apisix/consumers/apx_user/credentials/ci", new JsonObject().put("id", "ci")
                .put("plugins", keyAuth(opensslEncrypt("apx-credential-key", "edd1c9f0985e76a2"))).encode());

        await(() -> gw.http("POST", "/apx/v1/chat/completions", chatBody(), "apikey", "apx-consumer-key"),
                r -> r.status() == 200, "the consumer's decrypted key works");
        assertEquals("Bearer sk-provider-from-apisix", mock.lastRequest().header("Authorization"));
        // the credential was written after the consumer: it may reach the data plane a moment later
        await(() -> gw.http("POST", "/apx/v1/chat/completions", chatBody(), "apikey", "apx-credential-key"),
                r -> r.status() == 200, "the credential's decrypted key works");
        assertEquals("ci", mock.lastRequest().header("X-Credential-Identifier"));
        // the encrypted text itself is no key
        assertEquals(401, gw.http("POST", "/apx/v1/chat/completions", chatBody(), "apikey",
                opensslEncrypt("apx-consumer-key", "qeddd145sfvddff3")).status());
    }

    /**
     * basic-auth's password and jwt-auth's secret as APISIX stores them in etcd (encrypted with its
     * default keyring) authenticate with their clear values.
     */
    @Test
    void apisixEncryptedBasicAndJwtSecretsWrittenToEtcdAuthenticate() throws Exception {
        etcdctl("put", "/apisix/routes/apxauth", new JsonObject().put("id", "apxauth").put("uri", "/apxauth/*")
                .put("plugins", new JsonObject().put("basic-auth", new JsonObject().put("anonymous_consumer", "none"))
                        .put("ai-proxy", aiProxy(mock.url(), PROVIDER_KEY))).encode());
        etcdctl("put", "/apisix/routes/apxjwt", new JsonObject().put("id", "apxjwt").put("uri", "/apxjwt/*")
                .put("plugins", new JsonObject().put("jwt-auth", new JsonObject())
                        .put("ai-proxy", aiProxy(mock.url(), PROVIDER_KEY))).encode());
        etcdctl("put", "/apisix/consumers/apx_basic", new JsonObject().put("username", "apx_basic")
                .put("plugins", new JsonObject().put("basic-auth", new JsonObject().put("username", "apx")
                        .put("password", opensslEncrypt("apx-password", "qeddd145sfvddff3")))).encode());
        etcdctl("put", "/apisix/consumers/apx_basic/credentials/jwt", new JsonObject().put("id", "jwt")
                .put("plugins", new JsonObject().put("jwt-auth", new JsonObject().put("key", "apx-jwt")
                        .put("secret", opensslEncrypt("apx-jwt-secret", "edd1c9f0985e76a2")))).encode());

        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("apx:apx-password".getBytes(StandardCharsets.UTF_8));
        await(() -> gw.http("POST", "/apxauth/v1/chat/completions", chatBody(), "Authorization", basic),
                r -> r.status() == 200, "the decrypted password works");
        assertEquals("apx_basic", mock.lastRequest().header("X-Consumer-Username"));

        String input = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64url("{\"key\":\"apx-jwt\"}");
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("apx-jwt-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String token = input + "." + java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        await(() -> gw.http("POST", "/apxjwt/v1/chat/completions", chatBody(), "Authorization", "Bearer " + token),
                r -> r.status() == 200, "the decrypted jwt secret works");
        assertEquals("jwt", mock.lastRequest().header("X-Credential-Identifier"));
    }

    private static String b64url(String s) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
