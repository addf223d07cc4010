package dev.aigw.plugins.errornotify;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DedupTest {

    @Test
    void aFewPerWindowThenTheHeldBackCountWithTheNextMessage() {
        Dedup d = new Dedup(60_000, 2, new AtomicLong());
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
        Dedup d = new Dedup(60_000, 1, new AtomicLong());
        for (int i = 0; i < Dedup.MAX_KEYS; i++) {
            assertTrue(d.offer("k" + i, 0).send());
        }
        assertFalse(d.offer("one-too-many", 1).send());
        assertEquals(1, d.droppedKeys());
        assertTrue(d.offer("late", 60_000).send(), "ended windows are purged to make room");
    }

    /**
     * Failures from several event loops on one key, while new keys keep the map at its cap so that
     * purges run all the time: every failure is either sent, reported later as held back, or counted
     * as dropped. None is lost in a window a purge took away.
     */
    @Test
    void everyFailureIsSentReportedOrCountedWhilePurgesRun() throws Exception {
        Dedup d = new Dedup(5, 1, new AtomicLong());
        int threads = 4;
        int rounds = 20_000;
        AtomicLong clock = new AtomicLong();
        AtomicLong accounted = new AtomicLong();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < rounds; i++) {
                        for (String key : new String[] {"hot", "cold-" + id + "-" + i}) {
                            Dedup.Decision x = d.offer(key, clock.incrementAndGet() / 8);
                            if (x.send()) {
                                accounted.addAndGet(1 + x.suppressedBefore());
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (var f : done) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Dedup.Decision last = d.offer("hot", Long.MAX_VALUE / 2);
        assertTrue(last.send(), "a window long after");
        assertEquals(2L * threads * rounds, accounted.get() + last.suppressedBefore() + d.droppedKeys(),
                "sent + held back and reported + dropped = failures offered");
    }
}
