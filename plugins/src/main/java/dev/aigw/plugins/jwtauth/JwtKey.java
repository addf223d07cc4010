package dev.aigw.plugins.jwtauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A consumer's jwt-auth configuration, parsed once per consumers change: the algorithm tokens must
 * declare, how their signature is checked, and the clock leeway.
 *
 * <p>RSA (RS*, PS*) and ECDSA (ES*) signatures are checked by nimbus-jose-jwt. HMAC is computed with
 * the JDK because nimbus refuses secrets shorter than the algorithm's hash (RFC 7518), which APISIX
 * accepts and its users have; EdDSA with the JDK because nimbus needs Tink for it.
 *
 * @param algorithm         the consumer's {@code algorithm}; a token declaring another is refused
 * @param check             verifies a token's signature
 * @param gracePeriodSeconds {@code lifetime_grace_period}: leeway for {@code exp} and {@code nbf}
 */
record JwtKey(String algorithm, Check check, long gracePeriodSeconds) {

    /** Verifies a parsed token's signature; thread-safe. */
    interface Check {
        boolean verify(JWSObject jws) throws JOSEException, GeneralSecurityException;
    }

    static JwtKey parse(JsonObject conf) throws PluginConfigException {
        String alg = conf.getString("algorithm", "HS256");
        long grace = conf.getLong("lifetime_grace_period", 0L);
        if (alg.startsWith("HS")) {
            String secret = conf.getString("secret");
            if (secret == null) {
                throw new PluginConfigException("property \"secret\" is required when using HS based algorithms");
            }
            byte[] key;
            if (conf.getBoolean("base64_secret", false)) {
                try {
                    key = Base64.getDecoder().decode(secret);
                } catch (IllegalArgumentException e) {
                    throw new PluginConfigException("base64_secret required but the secret is not in base64 format");
                }
            } else {
                key = secret.getBytes(StandardCharsets.UTF_8);
            }
            return new JwtKey(alg, hmac("HmacSHA" + alg.substring(2), key), grace);
        }
        String pem = conf.getString("public_key");
        if (pem == null) {
            throw new PluginConfigException("missing valid public key");
        }
        PublicKey key = publicKey(pem, alg);
        try {
            Check check = switch (alg.substring(0, 2)) {
                case "RS", "PS" -> jose(new RSASSAVerifier((RSAPublicKey) key));
                case "ES" -> jose(new ECDSAVerifier((ECPublicKey) key));
                default -> eddsa(key);
            };
            return new JwtKey(alg, check, grace);
        } catch (ClassCastException | JOSEException e) {
            throw new PluginConfigException("invalid public_key for algorithm " + alg);
        }
    }

    private static Check jose(JWSVerifier verifier) {
        return jws -> verifier.verify(jws.getHeader(), jws.getSigningInput(), jws.getSignature());
    }

    private static Check eddsa(PublicKey key) {
        return jws -> {
            Signature sig = Signature.getInstance("EdDSA");
            sig.initVerify(key);
            sig.update(jws.getSigningInput());
            return sig.verify(jws.getSignature().decode());
        };
    }

    /** HMAC with a prototype initialised once; each check works on a clone (cheaper than a new Mac). */
    private static Check hmac(String macAlg, byte[] key) throws PluginConfigException {
        Mac proto;
        try {
            proto = Mac.getInstance(macAlg);
            proto.init(new SecretKeySpec(key, macAlg));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PluginConfigException("invalid secret: " + e.getMessage());
        }
        return jws -> {
            Mac mac;
            try {
                mac = (Mac) proto.clone();
            } catch (CloneNotSupportedException e) {
                mac = Mac.getInstance(macAlg);
                mac.init(new SecretKeySpec(key, macAlg));
            }
            return MessageDigest.isEqual(mac.doFinal(jws.getSigningInput()), jws.getSignature().decode());
        };
    }

    /**
     * A PEM public key as openssl reads it: {@code PUBLIC KEY} (SubjectPublicKeyInfo),
     * {@code RSA PUBLIC KEY} (PKCS#1) or a {@code CERTIFICATE}.
     */
    static PublicKey publicKey(String pem, String alg) throws PluginConfigException {
        try {
            String type = pemType(pem);
            byte[] der = pemBody(pem);
            if ("CERTIFICATE".equals(type)) {
                return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der))
                        .getPublicKey();
            }
            if ("RSA PUBLIC KEY".equals(type)) {
                der = spkiOfPkcs1(der);
            }
            String family = switch (alg.substring(0, 2)) {
                case "RS", "PS" -> "RSA";
                case "ES" -> "EC";
                default -> "EdDSA";
            };
            return KeyFactory.getInstance(family).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PluginConfigException("invalid public_key: " + e.getMessage());
        }
    }

    private static String pemType(String pem) {
        int b = pem.indexOf("-----BEGIN ");
        if (b < 0) {
            throw new IllegalArgumentException("not a PEM block");
        }
        int e = pem.indexOf("-----", b + 11);
        if (e < 0) {
            throw new IllegalArgumentException("not a PEM block");
        }
        return pem.substring(b + 11, e);
    }

    private static byte[] pemBody(String pem) {
        int b = pem.indexOf("-----", pem.indexOf("-----BEGIN ") + 11) + 5;
        int e = pem.indexOf("-----END ", b);
        if (e < 0) {
            throw new IllegalArgumentException("PEM block without END line");
        }
        return Base64.getMimeDecoder().decode(pem.substring(b, e));
    }

    /** Wraps a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo, which is what the JDK reads. */
    private static byte[] spkiOfPkcs1(byte[] pkcs1) {
        byte[] algId = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01,
                0x05, 0x00};
        ByteArrayOutputStream bits = new ByteArrayOutputStream();
        bits.write(0x03);
        derLength(bits, pkcs1.length + 1);
        bits.write(0);
        bits.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        derLength(out, algId.length + bits.size());
        out.writeBytes(algId);
        out.writeBytes(bits.toByteArray());
        return out.toByteArray();
    }

    private static void derLength(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write((len >> 8) & 0xff);
            out.write(len & 0xff);
        }
    }
}
