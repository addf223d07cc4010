package dev.aigw.gateway.resource;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APISIX's data encryption against vectors made by {@code openssl enc}, and the encrypt_fields walk. */
class DataEncryptionTest {

    private static String openssl(String cipher, String key, String input, boolean decrypt) throws Exception {
        String hex = HexFormat.of().formatHex(key.getBytes(StandardCharsets.US_ASCII));
        // APISIX uses the key bytes as IV too; for AES-256 the IV is the key's first 16 bytes
        String iv = hex.substring(0, 32);
        ProcessBuilder pb = decrypt
                ? new ProcessBuilder("openssl", "enc", "-d", "-" + cipher, "-K", hex, "-iv", iv, "-base64", "-A")
                : new ProcessBuilder("openssl", "enc", "-" + cipher, "-K", hex, "-iv", iv, "-base64", "-A");
        Process p = pb.redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return decrypt ? out : out.trim();
    }

    @Test
    void aes128MatchesOpensslBothWays() throws Exception {
        DataEncryption enc = new DataEncryption(true, DataEncryption.DEFAULT_KEYRING);
        String vector = openssl("aes-128-cbc", "qeddd145sfvddff3", "sk-provider-123", false);
        assertEquals(vector, enc.encrypt("sk-provider-123"));
        assertEquals("sk-provider-123", enc.decrypt(vector));
        assertEquals("a longer secret, past one block", openssl("aes-128-cbc", "qeddd145sfvddff3",
                enc.encrypt("a longer secret, past one block"), true));
    }

    @Test
    void everyKeyIsTriedAndAnUnreadableValueIsKept() throws Exception {
        DataEncryption enc = new DataEncryption(true, DataEncryption.DEFAULT_KEYRING);
        String bySecondKey = openssl("aes-128-cbc", "edd1c9f0985e76a2", "rotated", false);
        assertEquals("rotated", enc.decrypt(bySecondKey));
        assertEquals("plain-key", enc.decrypt("plain-key"), "a value stored in clear stays as it is");
        String other = openssl("aes-128-cbc", "0000000000000000", "other keyring", false);
        assertEquals(other, enc.decrypt(other));
    }

    @Test
    void aes256AndDisabled() throws Exception {
        String key = "0123456789abcdef0123456789abcdef";
        DataEncryption enc = new DataEncryption(true, List.of(key, "short"));
        assertTrue(enc.active(), "the bad entry is ignored, the good one used");
        String stored = enc.encrypt("v");
        assertEquals(openssl("aes-256-cbc", key, "v", false), stored);
        assertEquals("v", enc.decrypt(stored));
        DataEncryption off = new DataEncryption(false, DataEncryption.DEFAULT_KEYRING);
        assertEquals("v", off.encrypt("v"));
        assertNotEquals("v", stored);
    }

    /** A plugin with nested secret fields, as ai-proxy-multi's instances[].auth.header. */
    static final class Nested implements Plugin<JsonObject> {
        public String name() {
            return "nested";
        }

        public int priority() {
            return 1;
        }

        public String schema() {
            return "{\"type\":\"object\"}";
        }

        public List<String> encryptFields() {
            return List.of("instances.auth.header", "list", "top");
        }

        public JsonObject parseConfig(JsonObject conf) {
            return conf;
        }
    }

    @Test
    void encryptFieldsWalkArraysAndMaps() {
        DataEncryption enc = new DataEncryption(true, DataEncryption.DEFAULT_KEYRING);
        EncryptedFields fields = new EncryptedFields(enc, PluginRegistry.of(List.of(new Nested()), null));
        JsonObject route = new JsonObject("{\"uri\":\"/x\",\"plugins\":{\"nested\":{"
                + "\"instances\":[{\"auth\":{\"header\":{\"Authorization\":\"Bearer a\"}}},{\"auth\":{\"header\":{\"x-key\":\"b\"}}}],"
                + "\"list\":[\"c\",\"d\"],\"top\":\"e\",\"other\":\"f\"}}}");
        JsonObject stored = fields.encrypt(ResourceKind.ROUTES, route);
        JsonObject n = stored.getJsonObject("plugins").getJsonObject("nested");
        assertEquals(enc.encrypt("Bearer a"), n.getJsonArray("instances").getJsonObject(0).getJsonObject("auth")
                .getJsonObject("header").getString("Authorization"));
        assertEquals(enc.encrypt("b"), n.getJsonArray("instances").getJsonObject(1).getJsonObject("auth")
                .getJsonObject("header").getString("x-key"));
        assertEquals(enc.encrypt("d"), n.getJsonArray("list").getString(1));
        assertEquals(enc.encrypt("e"), n.getString("top"));
        assertEquals("f", n.getString("other"));
        assertEquals("Bearer a", route.getJsonObject("plugins").getJsonObject("nested").getJsonArray("instances")
                .getJsonObject(0).getJsonObject("auth").getJsonObject("header").getString("Authorization"),
                "the original is left alone");
        assertEquals(route, fields.decrypt(ResourceKind.ROUTES, stored));
    }
}
