package dev.aigw.plugins.requestlog;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code time} column's text is exactly {@link Instant#toString()}'s, whatever the time. */
class IsoTimeTest {

    @Test
    void sameTextAsTheJdkForRisingTimesAndAnyOther() {
        RequestLogDb.IsoTime t = new RequestLogDb.IsoTime();
        long ms = 1_796_000_000_000L; // rows as a batch holds them: rising, within a few seconds
        for (int i = 0; i < 5_000; i++) {
            ms += i % 7;
            assertEquals(Instant.ofEpochMilli(ms).toString(), t.format(ms));
        }
        SplittableRandom rnd = new SplittableRandom(42);
        long[] edges = {0, 1, 999, 1000, -1, -999, -1000, -1001, 253_402_300_799_999L, 253_402_300_800_000L,
                -62_167_219_200_001L};
        for (long e : edges) {
            assertEquals(Instant.ofEpochMilli(e).toString(), t.format(e), "at " + e);
        }
        for (int i = 0; i < 5_000; i++) {
            long r = rnd.nextLong(-100_000_000_000_000L, 300_000_000_000_000L);
            assertEquals(Instant.ofEpochMilli(r).toString(), t.format(r), "at " + r);
        }
    }
}
