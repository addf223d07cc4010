package dev.aigw.plugins.airatelimiting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.aigw.gateway.limit.Count;
import dev.aigw.gateway.limit.CounterPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Group-committed settlements: the first goes at once, those behind it go as one sum, each exactly once. */
class SettleBatcherTest {

    /** Records each settle and leaves it in flight until the test completes it. */
    static final class Recording implements CounterPolicy {
        final List<Long> sent = new ArrayList<>();
        final List<Promise<Void>> inFlight = new ArrayList<>();

        @Override
        public Future<Void> settle(String key, long windowSec, long delta) {
            sent.add(delta);
            Promise<Void> p = Promise.promise();
            inFlight.add(p);
            return p.future();
        }

        @Override
        public Future<Count> incoming(String key, long limit, long windowSec, long cost) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Count> reserve(String key, long limit, long windowSec, long cost) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Count> sliding(String key, long limit, long windowSec, long cost) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void firstAtOnceTheRestSummedBehindIt() {
        Recording p = new Recording();
        SettleBatcher b = new SettleBatcher();
        long end = System.currentTimeMillis() + 60_000;
        b.settle(p, "k", 60, end, -100);
        assertEquals(List.of(-100L), p.sent, "a lone settlement leaves at once");
        b.settle(p, "k", 60, end, -30);
        b.settle(p, "k", 60, end, 5);
        b.settle(p, "k", 60, end, -20);
        assertEquals(1, p.sent.size(), "nothing more while the first is in flight");
        p.inFlight.get(0).complete();
        assertEquals(List.of(-100L, -45L), p.sent, "the three behind it as one sum");
        p.inFlight.get(1).fail("redis went away");
        assertEquals(2, p.sent.size(), "a failed send is not repeated (as a lone settlement)");
        assertEquals(0, b.size(), "no slot left once idle");
        b.settle(p, "k", 60, end, -7);
        assertEquals(List.of(-100L, -45L, -7L), p.sent);
    }

    /** One settlement: counter key, end of its window (ms from now) and delta, over a 60 s window. */
    private record Settle(String key, long windowEndsInMs, long delta) {
    }

    /** What a fresh batcher sends for {@code settlements} made one after the other, none completed. */
    private static List<Long> sent(Settle... settlements) {
        Recording p = new Recording();
        SettleBatcher b = new SettleBatcher();
        long now = System.currentTimeMillis();
        for (Settle s : settlements) {
            b.settle(p, s.key(), 60, now + s.windowEndsInMs(), s.delta());
        }
        return p.sent;
    }

    @Test
    void countersAndWindowsNeverShareASum() {
        assertEquals(List.of(-1L, -2L, -3L), sent(new Settle("a", 60_000, -1), new Settle("b", 60_000, -2),
                new Settle("a", 120_000, -3))); // the last: a reservation of the next window of "a"
    }

    @Test
    void giveBackOfAnEndedWindowIsDropped() {
        assertEquals(List.of(), sent(new Settle("k", -1, -50)),
                "the window ended: giving back would land on the next one");
        assertEquals(List.of(20L), sent(new Settle("k", -1, -50), new Settle("k", -1, 20)),
                "usage beyond the reservation is still counted");
    }
}
