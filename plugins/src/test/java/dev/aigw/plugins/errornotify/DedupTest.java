package dev.aigw.plugins.errornotify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DedupTest {

    @Test
    void aFewPerWindowThenTheHeldBackCountWithTheNextMessage() {
        Dedup d = new Dedup(60_000, 2);
        long t = 1_000_000;
        assertTrue(d.offer("r|5xx", t).send());
        assertTrue(d.offer("r|5xx", t + 1).send());
        for (int i = 0; i < 8; i++) {
            assertFalse(d.offer("r|5xx", t + 2 + i).send());
        }
        assertTrue(d.offer("other|5xx", t + 10).send(), "keys are independent");
        Dedup.Decision next = d.offer("r|5xx", t + 60_000);
        assertTrue(next.send(), "a new window");
        assertEquals(8, next.suppressedBefore(), "the held-back failures are reported");
        assertEquals(0, d.offer("r|5xx", t + 60_001).suppressedBefore());
    }

    @Test
    void keysAreBounded() {
        Dedup d = new Dedup(60_000, 1);
        for (int i = 0; i < Dedup.MAX_KEYS; i++) {
            assertTrue(d.offer("k" + i, 0).send());
        }
        assertFalse(d.offer("one-too-many", 1).send());
        assertEquals(1, d.droppedKeys());
        assertTrue(d.offer("late", 60_000).send(), "ended windows are purged to make room");
    }
}
