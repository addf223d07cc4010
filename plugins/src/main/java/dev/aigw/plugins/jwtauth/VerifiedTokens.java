package dev.aigw.plugins.jwtauth;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tokens whose signature was verified, by their exact text, with the consumer key that verified them
 * and their claims: a client sends the same token on every request until it expires, and parsing it
 * (two JSON documents, three base64 parts) cost more than the HMAC itself.
 *
 * <p>Safe because a hit proves only what was proven before: the entry holds the {@link JwtKey} object
 * that checked the signature and counts only while the consumer the token names still has that very
 * object (a consumer or credential change parses a new one); the header (hence the algorithm) and
 * signature are part of the text; {@code exp} / {@code nbf} are checked against the clock on every use.
 * Only verified tokens enter, so a client cannot fill it without valid signatures. Bounded: at most
 * {@value #MAX_ENTRIES} tokens of at most {@value #MAX_TOKEN_CHARS} characters; when full it is emptied
 * and the tokens so dropped are counted ({@link #dropped()}).
 */
final class VerifiedTokens {

    static final int MAX_ENTRIES = 1024;
    static final int MAX_TOKEN_CHARS = 2048;

    /** A verified token: the key object that checked it and its (read-only) payload. */
    record Entry(JwtKey key, Map<String, Object> payload) {
    }

    private final Map<String, Entry> tokens = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    Entry get(String token) {
        return tokens.get(token);
    }

    void put(String token, JwtKey key, Map<String, Object> payload) {
        if (token.length() > MAX_TOKEN_CHARS) {
            return;
        }
        if (tokens.size() >= MAX_ENTRIES) {
            int n = tokens.size();
            tokens.clear(); // expired tokens and old keys go with the rest; the live ones come back at once
            dropped.addAndGet(n);
        }
        tokens.put(token, new Entry(key, Collections.unmodifiableMap(payload)));
    }

    /** Tokens dropped because the cache was full. */
    long dropped() {
        return dropped.get();
    }

    int size() {
        return tokens.size();
    }
}
