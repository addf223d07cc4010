package dev.aigw.plugins.jwtauth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jwt-auth's consumer keys (every algorithm family, the PEM forms openssl reads) and APISIX's claim rules. */
class JwtKeyTest {

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static JWSObject signed(JWSAlgorithm alg, JWSSigner signer) throws Exception {
        JWSObject jws = new JWSObject(new JWSHeader(alg), new Payload(Map.of("key", "k")));
        jws.sign(signer);
        return JWSObject.parse(jws.serialize());
    }

    @Test
    void ecdsaAndRsaPssTokensVerifyWithTheConsumersPublicKeyOnly() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair p256 = ec.generateKeyPair();
        JwtKey es = JwtKey.parse(new JsonObject().put("key", "k").put("algorithm", "ES256")
                .put("public_key", pem("PUBLIC KEY", p256.getPublic().getEncoded())));
        assertTrue(es.check().verify(signed(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) p256.getPrivate()))));
        KeyPair other = ec.generateKeyPair();
        assertFalse(es.check().verify(signed(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) other.getPrivate()))));

        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        JwtKey ps = JwtKey.parse(new JsonObject().put("key", "k").put("algorithm", "PS256")
                .put("public_key", pem("PUBLIC KEY", rsa.getPublic().getEncoded())));
        assertTrue(ps.check().verify(signed(JWSAlgorithm.PS256, new RSASSASigner(rsa.getPrivate()))));
        assertEquals("PS256", ps.algorithm());
    }

    @Test
    void pkcs1RsaPublicKeysAreReadAsOpensslReadsThem() throws Exception {
        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] spki = rsa.getPublic().getEncoded();
        // SubjectPublicKeyInfo = 30 82 LL LL | 30 0d <rsaEncryption, NULL> | 03 82 LL LL 00 | PKCS#1 key
        byte[] pkcs1 = Arrays.copyOfRange(spki, 24, spki.length);
        JwtKey rs = JwtKey.parse(new JsonObject().put("key", "k").put("algorithm", "RS256")
                .put("public_key", pem("RSA PUBLIC KEY", pkcs1)));
        assertTrue(rs.check().verify(signed(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()))));
    }

    @Test
    void eddsaIsVerifiedByTheJdk() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        JwtKey key = JwtKey.parse(new JsonObject().put("key", "k").put("algorithm", "EdDSA")
                .put("public_key", pem("PUBLIC KEY", ed.getPublic().getEncoded())));
        String input = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"EdDSA\"}".getBytes(StandardCharsets.UTF_8))
                + "." + Base64.getUrlEncoder().withoutPadding().encodeToString("{\"key\":\"k\"}".getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(ed.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        String token = input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        assertTrue(key.check().verify(JWSObject.parse(token)));
        KeyPair stranger = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        s.initSign(stranger.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        String forged = input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        assertFalse(key.check().verify(JWSObject.parse(forged)), "signed by another key");
    }

    @Test
    void apisixConfigurationErrors() {
        var noSecret = assertThrows(PluginConfigException.class, () -> JwtKey.parse(new JsonObject().put("key", "k")));
        assertEquals("property \"secret\" is required when using HS based algorithms", noSecret.getMessage());
        var notBase64 = assertThrows(PluginConfigException.class, () -> JwtKey.parse(new JsonObject().put("key", "k")
                .put("secret", "not base64!").put("base64_secret", true)));
        assertEquals("base64_secret required but the secret is not in base64 format", notBase64.getMessage());
        assertThrows(PluginConfigException.class, () -> JwtKey.parse(new JsonObject().put("key", "k")
                .put("algorithm", "ES256").put("public_key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")));
    }

    @Test
    void claimsAsApisixChecksThem() {
        long now = 1_000_000;
        assertNull(JwtAuthPlugin.verifyClaims(Map.of(), List.of(), 0, now), "absent claims pass by default");
        assertEquals("claim exp is missing", JwtAuthPlugin.verifyClaims(Map.of(), List.of("exp"), 0, now));
        assertEquals("claim exp is not a number", JwtAuthPlugin.verifyClaims(Map.of("exp", "soon"), List.of(), 0, now));
        assertEquals("'exp' claim expired at " + now, JwtAuthPlugin.verifyClaims(Map.of("exp", now), List.of(), 0, now));
        assertNull(JwtAuthPlugin.verifyClaims(Map.of("exp", now), List.of(), 1, now), "within the grace period");
        assertNull(JwtAuthPlugin.verifyClaims(Map.of("nbf", now - 1), List.of("nbf"), 0, now));
        assertEquals("'nbf' claim not valid until " + now, JwtAuthPlugin.verifyClaims(Map.of("nbf", now), List.of(), 0, now));
        assertNull(JwtAuthPlugin.verifyClaims(Map.of("nbf", now + 5, "exp", now + 60), List.of(), 10, now));
    }

    @Test
    void onlyTheTokenCookieIsRemoved() {
        assertEquals("a=1; b=2", JwtAuthPlugin.withoutCookie("a=1; jwt=x.y.z; b=2", "jwt"));
        assertEquals("", JwtAuthPlugin.withoutCookie("jwt=x", "jwt"));
        assertEquals("jwtx=1", JwtAuthPlugin.withoutCookie("jwtx=1;jwt=2", "jwt"));
    }
}
