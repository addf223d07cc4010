package dev.aigw.gateway.crypto;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Sha256Test {

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void knownDigestsAndReuseOnOneThread() {
        // FIPS 180-2 test vectors; the same thread's digest, used again and again, starts clean each time
        for (int i = 0; i < 3; i++) {
            assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex(Sha256.of("abc")));
            assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(Sha256.of("")));
            assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.hex("abc"));
        }
        assertArrayEquals(Sha256.of("pässword".getBytes(StandardCharsets.UTF_8)), Sha256.of("pässword"));
    }

    @Test
    void matchesComparesTheHash() {
        byte[] stored = Sha256.of("s3cret");
        assertTrue(Sha256.matches(stored, "s3cret"));
        assertFalse(Sha256.matches(stored, "s3cret "));
        assertFalse(Sha256.matches(stored, ""));
    }

    @Test
    void threadsDoNotMixTheirDigests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        String s = "key-" + id + "-" + i;
                        byte[] expected = MessageDigest.getInstance("SHA-256")
                                .digest(s.getBytes(StandardCharsets.UTF_8));
                        if (!Arrays.equals(expected, Sha256.of(s))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
