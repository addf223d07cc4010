package dev.aigw.testkit;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * A throw-away Google service account for tests: a fresh RSA key pair and the service-account JSON
 * a user would download from GCP, with {@code token_uri} pointing at a mock (see
 * {@link MockLlm}'s token endpoint). {@link #verify(String)} checks an RS256 JWT assertion against
 * the account's public key, so a test can prove the gateway signed it with the configured key.
 *
 * @param projectId   project id
 * @param clientEmail service-account e-mail (the JWT's {@code iss})
 * @param tokenUri    token endpoint (the JWT's {@code aud})
 * @param keyPair     the RSA key pair
 */
public record GcpServiceAccount(String projectId, String clientEmail, String tokenUri, KeyPair keyPair) {

    /**
     * A decoded, signature-checked JWT.
     *
     * @param header  the JOSE header
     * @param payload the claims
     */
    public record Jwt(JsonObject header, JsonObject payload) {
    }

    /** A new account with a 2048-bit RSA key. */
    public static GcpServiceAccount generate(String projectId, String tokenUri) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            return new GcpServiceAccount(projectId,
                    "aigw-test@" + projectId + ".iam.gserviceaccount.com", tokenUri, gen.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The private key as PKCS#8 PEM, as in GCP's JSON ({@code -----BEGIN PRIVATE KEY-----}). */
    public String privateKeyPem() {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(keyPair.getPrivate().getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    }

    /** The service-account JSON, as GCP hands it out. */
    public JsonObject json() {
        return new JsonObject()
                .put("type", "service_account")
                .put("project_id", projectId)
                .put("private_key_id", "0123456789abcdef0123456789abcdef01234567")
                .put("private_key", privateKeyPem())
                .put("client_email", clientEmail)
                .put("client_id", "100000000000000000001")
                .put("auth_uri", "https://accounts.google.com/o/oauth2/auth")
                .put("token_uri", tokenUri);
    }

    /** Verifies an RS256 JWT with this account's public key; throws {@link IllegalArgumentException} if invalid. */
    public Jwt verify(String jwt) {
        return verify(jwt, keyPair.getPublic());
    }

    /** Verifies an RS256 compact JWT with {@code key}; throws {@link IllegalArgumentException} if invalid. */
    public static Jwt verify(String jwt, PublicKey key) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a compact JWT (" + parts.length + " parts)");
        }
        Base64.Decoder dec = Base64.getUrlDecoder();
        JsonObject header = new JsonObject(new String(dec.decode(parts[0]), StandardCharsets.UTF_8));
        if (!"RS256".equals(header.getString("alg"))) {
            throw new IllegalArgumentException("alg is not RS256: " + header.getString("alg"));
        }
        try {
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initVerify(key);
            sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!sig.verify(dec.decode(parts[2]))) {
                throw new IllegalArgumentException("bad RS256 signature");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot verify signature", e);
        }
        return new Jwt(header, new JsonObject(new String(dec.decode(parts[1]), StandardCharsets.UTF_8)));
    }

    /** Signs claims as an RS256 JWT with this account's key (for tests of a verifier, or of the mock). */
    public String sign(JsonObject claims) {
        Base64.Encoder enc = Base64.getUrlEncoder().withoutPadding();
        String head = enc.encodeToString(new JsonObject().put("alg", "RS256").put("typ", "JWT")
                .encode().getBytes(StandardCharsets.UTF_8));
        String body = enc.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        try {
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initSign(keyPair.getPrivate());
            sig.update((head + "." + body).getBytes(StandardCharsets.US_ASCII));
            return head + "." + body + "." + enc.encodeToString(sig.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
