package dev.aigw.gateway.net;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PerEventLoopTest {

    @Test
    void oneInstancePerEventLoopAndOneSharedOffThem() throws Exception {
        AtomicInteger made = new AtomicInteger();
        PerEventLoop<Integer> per = new PerEventLoop<>(made::incrementAndGet, x -> { });
        Vertx vertx = Vertx.vertx();
        try {
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            Set<Thread> loops = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(2);
            for (int i = 0; i < 2; i++) {
                ((VertxInternal) vertx).createEventLoopContext().runOnContext(v -> {
                    loops.add(Thread.currentThread());
                    assertSame(per.get(), per.get(), "the same instance on one loop");
                    seen.add(per.get());
                    done.countDown();
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(loops.size(), seen.size(), "one instance per event loop");
            int offLoop = per.get();
            assertSame(offLoop, per.get(), "callers off the event loops share one");
            assertEquals(seen.size() + 1, made.get(), "each made once, plus the shared one");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void whatALateCallerMakesAfterDrainIsClosedAtOnce() {
        AtomicInteger made = new AtomicInteger();
        List<Integer> closed = new ArrayList<>();
        PerEventLoop<Integer> per = new PerEventLoop<>(made::incrementAndGet, closed::add);
        Integer first = per.get();
        assertEquals(List.of(first), per.drain(), "drain hands over what was made");
        assertEquals(List.of(), closed, "the caller closes what drain handed over");
        Integer late = per.get();
        assertNotSame(first, late);
        assertEquals(List.of(late), closed, "made after drain: closed here, nobody else would");
        assertEquals(List.of(), per.drain());
    }
}
