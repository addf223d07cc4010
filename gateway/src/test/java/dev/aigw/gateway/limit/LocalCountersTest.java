package dev.aigw.gateway.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LocalCountersTest {

    private static Count get(io.vertx.core.Future<Count> f) {
        assertTrue(f.isComplete(), "local counters answer at once");
        return f.result();
    }

    @Test
    void fixedWindowAddsAndRefusesPastTheLimit() {
        LocalCounters c = new LocalCounters(null, 100);
        assertEquals(1, get(c.incoming("k", 2, 60, 1)).consumed());
        assertTrue(get(c.incoming("k", 2, 60, 1)).accepted());
        Count third = get(c.incoming("k", 2, 60, 1));
        assertFalse(third.accepted());
        assertEquals(0, third.remaining(2));
        assertTrue(third.resetMs() > 59_000 && third.resetMs() <= 60_000, "reset " + third.resetMs());
    }

    @Test
    void reservationAddsOnlyWhatFitsAndSettlementCorrectsIt() {
        LocalCounters c = new LocalCounters(null, 100);
        assertTrue(get(c.reserve("k", 100, 60, 70)).accepted());
        Count refused = get(c.reserve("k", 100, 60, 40));
        assertFalse(refused.accepted());
        assertEquals(70, refused.consumed(), "a refused reservation adds nothing");
        c.settle("k", 60, 20 - 70); // the answer used 20
        assertEquals(20, get(c.incoming("k", 100, 60, 0)).consumed());
        c.settle("k", 60, -500);
        assertEquals(0, get(c.incoming("k", 100, 60, 0)).consumed(), "never below zero");
    }

    @Test
    void concurrentReservationsNeverOvershoot() throws Exception {
        LocalCounters c = new LocalCounters(null, 100);
        int threads = 8;
        AtomicInteger accepted = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1000; i++) {
                    if (get(c.reserve("shared", 5000, 60, 3)).accepted()) {
                        accepted.incrementAndGet();
                    }
                }
            });
            th.start();
            ts.add(th);
        }
        go.countDown();
        for (Thread th : ts) {
            th.join(30_000);
        }
        assertEquals(5000 / 3, accepted.get(), "exactly what fits, with 8 threads racing");
        assertEquals(5000 / 3 * 3, get(c.incoming("shared", 5000, 60, 0)).consumed());
    }

    @Test
    void boundedKeysCountWhatIsRefused() {
        LocalCounters c = new LocalCounters(null, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(c.incoming("k" + i, 10, 60, 1).succeeded());
        }
        assertTrue(c.incoming("k9", 10, 60, 1).failed(), "a fourth key is not tracked");
        assertTrue(c.incoming("k0", 10, 60, 1).succeeded(), "known keys still count");
        assertEquals(1, c.dropped());
        assertEquals(3, c.size());
    }

    @Test
    void slidingWindowRefusesOnceTheLimitIsReached() {
        LocalCounters c = new LocalCounters(null, 10);
        int ok = 0;
        for (int i = 0; i < 5; i++) {
            ok += get(c.sliding("s", 3, 3600, 1)).accepted() ? 1 : 0;
        }
        // a fresh key: the previous (hour-long) window is empty, exactly the limit passes
        assertEquals(3, ok);
    }
}
