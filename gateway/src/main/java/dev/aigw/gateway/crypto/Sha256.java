package dev.aigw.gateway.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of credentials, per request and from any thread, without a provider lookup each time: one
 * {@link MessageDigest} per thread (event loops and workers are few and long-lived), reset by
 * {@link MessageDigest#digest(byte[])} after each use. Used to index keys (consumers), to keep only a
 * password's hash (basic-auth; comparisons stay constant-time, {@link #matches}), for ai-cache keys and
 * AWS request signing.
 */
public final class Sha256 {

    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JRE has SHA-256
        }
    });

    private Sha256() {
    }

    /** The 32-byte digest of {@code in}. */
    public static byte[] of(byte[] in) {
        // digest(byte[]) updates, completes and resets in one call: nothing is left half-done on the
        // thread's instance, even if a caller throws between two uses
        return DIGEST.get().digest(in);
    }

    /** The 32-byte digest of {@code s} in UTF-8. */
    public static byte[] of(String s) {
        return of(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The digest of {@code s} in UTF-8 as 64 lowercase hex digits. */
    public static String hex(String s) {
        return HexFormat.of().formatHex(of(s));
    }

    /** Whether {@code given} hashes to {@code sha256}, compared in constant time. */
    public static boolean matches(byte[] sha256, String given) {
        return MessageDigest.isEqual(sha256, of(given));
    }
}
