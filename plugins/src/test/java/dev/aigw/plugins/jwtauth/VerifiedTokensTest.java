package dev.aigw.plugins.jwtauth;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The verified-token cache stays bounded, counts what it drops and never lets its payloads change. */
class VerifiedTokensTest {

    private static final JwtKey KEY = new JwtKey("HS256", jws -> true, 0);

    @Test
    void fullCacheIsEmptiedAndTheDropsCounted() {
        VerifiedTokens cache = new VerifiedTokens();
        for (int i = 0; i < VerifiedTokens.MAX_ENTRIES; i++) {
            cache.put("token-" + i, KEY, Map.of("key", "k"));
        }
        assertEquals(VerifiedTokens.MAX_ENTRIES, cache.size());
        assertEquals(0, cache.dropped());
        cache.put("one-more", KEY, Map.of("key", "k"));
        assertEquals(1, cache.size());
        assertEquals(VerifiedTokens.MAX_ENTRIES, cache.dropped());
        assertNull(cache.get("token-0"));
        assertSame(KEY, cache.get("one-more").key());
    }

    @Test
    void longTokensAreNotKeptAndPayloadsAreReadOnly() {
        VerifiedTokens cache = new VerifiedTokens();
        cache.put("x".repeat(VerifiedTokens.MAX_TOKEN_CHARS + 1), KEY, Map.of("key", "k"));
        assertEquals(0, cache.size());
        Map<String, Object> payload = new HashMap<>(Map.of("key", "k"));
        cache.put("t", KEY, payload);
        VerifiedTokens.Entry e = cache.get("t");
        assertNotNull(e);
        assertThrows(UnsupportedOperationException.class, () -> e.payload().put("exp", 1));
    }
}
