package dev.aigw.t.consumers;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

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
        HttpResult viaCredential = gw.http("POST", "/apx/v1/chat/completions", chatBody(), "apikey", "apx-credential-key");
        assertEquals(200, viaCredential.status(), viaCredential.body());
        assertEquals("ci", mock.lastRequest().header("X-Credential-Identifier"));
        // the encrypted text itself is no key
        assertEquals(401, gw.http("POST", "/apx/v1/chat/completions", chatBody(), "apikey",
                opensslEncrypt("apx-consumer-key", "qeddd145sfvddff3")).status());
    }
}
