package dev.aigw.gateway.log;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchProcessorTest {

    private Vertx vertx;
    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    private final List<Long> batchTimes = new CopyOnWriteArrayList<>();
    private final List<Boolean> onVertxContext = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private BatchProcessor.Handler<Integer> recording() {
        return (entries, max) -> {
            batches.add(List.copyOf(entries));
            batchTimes.add(System.nanoTime());
            onVertxContext.add(Vertx.currentContext() != null);
            return Future.succeededFuture();
        };
    }

    /** A handler whose batches stay in flight until the test completes the promise it adds to {@code stuck}. */
    private static BatchProcessor.Handler<Integer> holding(List<Promise<Void>> stuck) {
        return (entries, max) -> {
            Promise<Void> p = Promise.promise();
            stuck.add(p);
            return p.future();
        };
    }

    private static BatchProcessorConfig config(int max, long inactiveMs, long bufferMs, int retries, long retryDelayMs) {
        return new BatchProcessorConfig("test", max, inactiveMs, bufferMs, retries, retryDelayMs);
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void sendsAFullBatchAtBatchMaxSizeAndKeepsTheRest() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        BatchProcessorConfig c = config(3, 60_000, 60_000, 0, 0);
        for (int i = 1; i <= 7; i++) {
            assertTrue(m.push("route-1", c, this::recording, i));
        }
        await("two full batches", () -> batches.size() == 2);
        assertEquals(List.of(List.of(1, 2, 3), List.of(4, 5, 6)), batches);
        assertEquals(1, m.pending(), "the 7th entry waits for more");
        assertTrue(onVertxContext.stream().allMatch(b -> b), "handler runs on a Vert.x context");

        m.flushAll().await(10, TimeUnit.SECONDS);
        assertEquals(List.of(7), batches.get(2));
        assertEquals(0, m.pending());
    }

    @Test
    void batchMaxSizeOneSendsEachEntryAlone() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        List<Integer> maxSeen = new CopyOnWriteArrayList<>();
        BatchProcessorConfig c = config(1, 60_000, 60_000, 0, 0);
        for (int i = 1; i <= 3; i++) {
            m.push("k", c, () -> (entries, max) -> {
                maxSeen.add(max);
                return recording().process(entries, max);
            }, i);
        }
        await("three batches", () -> batches.size() == 3);
        assertTrue(batches.stream().allMatch(b -> b.size() == 1));
        assertEquals(List.of(1, 1, 1), maxSeen);
    }

    @Test
    void flushesAfterInactiveTimeout() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        BatchProcessorConfig c = config(100, 400, 60_000, 0, 0);
        m.push("k", c, this::recording, 1);
        m.push("k", c, this::recording, 2);
        assertTrue(batches.isEmpty(), "nothing is sent before the quiet period");
        await("inactive flush", () -> batches.size() == 1);
        assertEquals(List.of(1, 2), batches.get(0));
        // the backlog lets go of a batch once its send completed, just after the sink has seen it
        await("backlog released", () -> m.pending() == 0);
    }

    @Test
    void flushesAfterBufferDurationEvenWhileEntriesKeepArriving() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 10_000);
        // quiet never happens (an entry every 50 ms, inactive_timeout 1.5 s): only buffer_duration flushes
        BatchProcessorConfig c = config(10_000, 1_500, 300, 0, 0);
        long lastPush = 0;
        for (int i = 0; i < 20; i++) {
            m.push("k", c, this::recording, i);
            lastPush = System.nanoTime();
            Thread.sleep(50);
        }
        assertFalse(batches.isEmpty(), "a batch was sent while entries kept arriving");
        assertTrue(batchTimes.get(0) <= lastPush + TimeUnit.MILLISECONDS.toNanos(60));
        m.flushAll().await(10, TimeUnit.SECONDS);
        int total = batches.stream().mapToInt(List::size).sum();
        assertEquals(20, total);
        assertTrue(batches.get(0).size() < total, "the first batch did not wait for the end of the stream");
    }

    @Test
    void retriesAFailedBatchUpToMaxRetryCount() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        AtomicInteger attempts = new AtomicInteger();
        List<Long> attemptTimes = new CopyOnWriteArrayList<>();
        BatchProcessorConfig c = config(1, 60_000, 60_000, 2, 100);
        m.push("k", c, () -> (entries, max) -> {
            attemptTimes.add(System.nanoTime());
            return attempts.incrementAndGet() < 3
                    ? Future.failedFuture("broker down")
                    : recording().process(entries, max);
        }, 42);
        await("success on the third attempt", () -> batches.size() == 1);
        assertEquals(3, attempts.get());
        assertEquals(List.of(42), batches.get(0));
        assertTrue(attemptTimes.get(1) - attemptTimes.get(0) >= TimeUnit.MILLISECONDS.toNanos(100),
                "retry_delay separates attempts");
        await("backlog released", () -> m.pending() == 0);
    }

    @Test
    void dropsABatchAfterMaxRetryCountFailures() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        AtomicInteger attempts = new AtomicInteger();
        BatchProcessorConfig c = config(2, 60_000, 60_000, 1, 10);
        m.push("k", c, () -> (entries, max) -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("always failing");
        }, 1);
        m.push("k", c, () -> null, 2); // the processor exists: this handler supplier is not used
        await("dropped after retries", () -> m.pending() == 0 && attempts.get() >= 2);
        m.flushAll().await(10, TimeUnit.SECONDS);
        assertEquals(2, attempts.get(), "one attempt plus max_retry_count retries");
    }

    @Test
    void everyBatchIsFinishedOnceWhetherSentOrDropped() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        List<List<Integer>> finished = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        BatchProcessor.Handler<Integer> oddsFail = new BatchProcessor.Handler<>() {
            @Override
            public Future<Void> process(List<Integer> entries, int batchMaxSize) {
                attempts.incrementAndGet();
                return entries.get(0) % 2 == 1 ? Future.failedFuture("odd") : Future.succeededFuture();
            }

            @Override
            public void finished(List<Integer> entries) {
                assertNotNull(Vertx.currentContext(), "finished runs on the processor's context");
                finished.add(List.copyOf(entries));
            }
        };
        BatchProcessorConfig c = config(1, 60_000, 60_000, 1, 0);
        for (int i = 1; i <= 4; i++) {
            m.push("k", c, () -> oddsFail, i);
        }
        await("every batch done", () -> m.pending() == 0);
        assertEquals(6, attempts.get(), "two sent at once, two dropped after one retry each");
        assertEquals(4, finished.size(), "one finish per batch, not per attempt: " + finished);
        assertEquals(List.of(1, 2, 3, 4), finished.stream().map(l -> l.get(0)).sorted().toList());
    }

    @Test
    void globalCapDropsAndCountsWithoutBlocking() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 5);
        List<Promise<Void>> stuck = new CopyOnWriteArrayList<>();
        BatchProcessor.Handler<Integer> never = holding(stuck);
        BatchProcessorConfig c = config(1, 60_000, 60_000, 0, 0);
        List<Boolean> accepted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            accepted.add(m.push("route-a", c, () -> never, i));
        }
        for (int i = 0; i < 5; i++) {
            accepted.add(m.push("route-b", c, () -> never, i));
        }
        assertEquals(List.of(true, true, true, true, true, false, false, false), accepted);
        assertEquals(3, m.dropped());
        assertEquals(5, m.pending());
        assertEquals(2, m.processors());

        await("five batches in flight", () -> stuck.size() == 5);
        stuck.forEach(Promise::tryComplete);
        await("backlog drained", () -> m.pending() == 0);
        assertTrue(m.push("route-a", c, () -> never, 99), "room again once sent");
    }

    @Test
    void byteCapDropsLargeEntriesAndCountsThemUntilTheirBatchIsDone() throws Exception {
        BatchProcessorBacklog backlog = new BatchProcessorBacklog("t", () -> 1000, 100);
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, backlog);
        List<Promise<Void>> stuck = new CopyOnWriteArrayList<>();
        BatchProcessor.Handler<Integer> held = holding(stuck);
        BatchProcessorConfig c = config(1, 60_000, 60_000, 0, 0);
        assertTrue(m.push("k", c, () -> held, 1, 60));
        assertFalse(m.push("k", c, () -> held, 2, 60), "60 + 60 bytes exceed the 100-byte cap");
        assertTrue(m.push("k", c, () -> held, 3, 40), "60 + 40 fit");
        assertFalse(m.push("k", c, () -> held, 4, 1));
        assertEquals(2, m.dropped());
        assertEquals(100, backlog.pendingBytes());
        assertTrue(m.push("k", c, () -> held, 5, 0), "an entry of unknown size is held by the entry cap only");

        await("three batches in flight", () -> stuck.size() == 3);
        stuck.forEach(Promise::tryComplete);
        await("backlog drained", () -> m.pending() == 0);
        assertEquals(0, backlog.pendingBytes(), "a finished batch gives its bytes back");
        assertTrue(m.push("k", c, () -> held, 6, 100), "room again once sent");
        await("the fourth batch in flight", () -> stuck.size() == 4);
        stuck.get(3).tryComplete();
        await("backlog drained again", () -> m.pending() == 0);

        // a buffered batch carries the bytes of all its entries
        BatchProcessorConfig three = config(3, 60_000, 60_000, 0, 0);
        assertTrue(m.push("b", three, this::recording, 7, 30));
        assertTrue(m.push("b", three, this::recording, 8, 30));
        await("both buffered", () -> backlog.pendingBytes() == 60);
        m.flushAll().await(10, TimeUnit.SECONDS);
        assertEquals(List.of(7, 8), batches.get(0));
        assertEquals(0, backlog.pendingBytes());
    }

    @Test
    void closeFlushesEverythingAcceptedAndRefusesNewEntries() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        BatchProcessorConfig c = config(100, 60_000, 60_000, 0, 0);
        m.push("a", c, this::recording, 1);
        m.push("b", c, this::recording, 2);
        m.push("a", c, this::recording, 3);
        m.close().await(10, TimeUnit.SECONDS);
        assertEquals(2, batches.size());
        assertTrue(batches.contains(List.of(1, 3)));
        assertTrue(batches.contains(List.of(2)));
        assertFalse(m.push("a", c, this::recording, 4));
        assertEquals(0, m.pending());
    }

    @Test
    void releaseFlushesOnlyTheMatchingProcessors() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        BatchProcessorConfig c = config(100, 60_000, 60_000, 0, 0);
        m.push("a", c, this::recording, 1);
        m.push("b", c, this::recording, 2);
        m.release("a"::equals).await(10, TimeUnit.SECONDS);
        assertEquals(List.of(List.of(1)), batches);
        assertEquals(1, m.processors());
        assertNotNull(m.backlog());
        assertEquals(1, m.pending());
    }

    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();

    /** A manager whose processors retire after {@code staleMs} idle. */
    private BatchProcessorManager<Integer> staleAfter(long staleMs) {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        m.staleAfter(java.time.Duration.ofMillis(staleMs));
        return m;
    }

    /** A recording handler that counts its instances and their {@code closed} calls. */
    private BatchProcessor.Handler<Integer> counted() {
        created.incrementAndGet();
        BatchProcessor.Handler<Integer> inner = recording();
        return new BatchProcessor.Handler<>() {
            @Override
            public Future<Void> process(List<Integer> entries, int max) {
                return inner.process(entries, max);
            }

            @Override
            public void closed() {
                closed.incrementAndGet();
            }
        };
    }

    @Test
    void releaseClosesTheHandlerOnceItsLastBatchIsDone() throws Exception {
        BatchProcessorManager<Integer> m = new BatchProcessorManager<>(vertx, "t", () -> 1000);
        BatchProcessorConfig c = config(100, 60_000, 60_000, 0, 0);
        List<Promise<Void>> stuck = new CopyOnWriteArrayList<>();
        AtomicInteger closed = new AtomicInteger();
        m.push("a", c, () -> new BatchProcessor.Handler<>() {
            @Override
            public Future<Void> process(List<Integer> entries, int max) {
                return holding(stuck).process(entries, max);
            }

            @Override
            public void closed() {
                closed.incrementAndGet();
            }
        }, 1);
        Future<Void> released = m.release(k -> true);
        await("the batch in flight", () -> stuck.size() == 1);
        Thread.sleep(50);
        assertEquals(0, closed.get(), "not closed while its batch is in flight");
        assertFalse(released.isComplete());
        vertx.runOnContext(v -> stuck.get(0).complete());
        released.await(10, TimeUnit.SECONDS);
        assertEquals(1, closed.get());
        assertEquals(0, m.processors());
    }

    @Test
    void anEntryAfterItsKeyWasReleasedIsSentAndItsProcessorRetiredOnceStale() throws Exception {
        // a request that finishes after its route changed: its entry is logged, and what it created
        // does not stay for the gateway's lifetime
        BatchProcessorManager<Integer> m = staleAfter(200);
        BatchProcessorConfig c = config(100, 20, 60_000, 0, 0);
        m.push("a", c, this::counted, 1);
        m.release("a"::equals).await(10, TimeUnit.SECONDS);
        assertEquals(1, closed.get());
        assertTrue(m.push("a", c, this::counted, 2));
        assertEquals(2, created.get(), "a new processor for the late entry");
        await("the late entry's batch", () -> batches.contains(List.of(2)));
        await("the late processor retired", () -> closed.get() == 2 && m.processors() == 0);
        assertEquals(0, m.pending());
        // and the key works as before
        assertTrue(m.push("a", c, this::counted, 3));
        await("a third processor's batch", () -> batches.contains(List.of(3)));
        assertEquals(3, created.get());
    }

    @Test
    void staleProcessorsAreRetiredAndBusyOnesKept() throws Exception {
        BatchProcessorManager<Integer> m = staleAfter(500);
        BatchProcessorConfig c = config(100, 20, 60_000, 0, 0);
        m.push("idle", c, this::counted, 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int n = 100;
        while (closed.get() == 0 && System.nanoTime() < deadline) { // "busy" gets an entry every 20 ms
            m.push("busy", c, this::counted, n++);
            Thread.sleep(20);
        }
        assertEquals(1, closed.get(), "the idle processor was retired");
        assertEquals(1, m.processors(), "the busy one was kept");
        assertEquals(2, created.get());
    }

    @Test
    void anEntryReachingARetiredProcessorGoesToTheKeysNextOne() throws Exception {
        // the race: a push found the processor just before it retired
        List<Integer> rerouted = new CopyOnWriteArrayList<>();
        BatchProcessorBacklog backlog = new BatchProcessorBacklog("t", () -> 1000);
        io.vertx.core.Context ctx = vertx.getOrCreateContext();
        BatchProcessor<Integer> p = new BatchProcessor<>(vertx, ctx, config(100, 60_000, 60_000, 0, 0), recording(),
                backlog, (e, b) -> rerouted.add(e));
        p.retire().await(10, TimeUnit.SECONDS);
        p.push(7, 0);
        await("the entry rerouted", () -> rerouted.equals(List.of(7)));
        assertTrue(batches.isEmpty(), "the retired processor sent nothing");
    }
}
