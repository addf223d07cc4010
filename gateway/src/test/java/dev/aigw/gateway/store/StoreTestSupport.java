package dev.aigw.gateway.store;

import io.vertx.core.Future;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Small blocking helpers for store tests; they run on the JUnit thread, never on an event loop. */
final class StoreTestSupport {

    static final long WAIT_SECONDS = 20;

    private StoreTestSupport() {
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    static Throwable awaitFailure(Future<?> f) throws Exception {
        try {
            f.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got success");
    }

    static WatchEvent next(BlockingQueue<WatchEvent> q) throws InterruptedException {
        WatchEvent e = q.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no watch event within " + WAIT_SECONDS + "s");
        }
        return e;
    }

    /** Applies events to a key→value view, the way a watcher would. */
    static void apply(Map<String, String> view, WatchEvent e) {
        if (e instanceof WatchEvent.Put p) {
            view.put(p.kv().key(), p.kv().value());
        } else if (e instanceof WatchEvent.Delete d) {
            view.remove(d.key());
        } else if (e instanceof WatchEvent.Reset r) {
            view.clear();
            r.snapshot().entries().forEach((k, kv) -> view.put(k, kv.value()));
        }
    }

    /** Folds events from the queue into {@code view} until {@code done} holds (bounded). */
    static List<WatchEvent> foldUntil(BlockingQueue<WatchEvent> q, Map<String, String> view,
                                      Predicate<Map<String, String>> done) throws InterruptedException {
        List<WatchEvent> seen = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!done.test(view)) {
            long left = deadline - System.nanoTime();
            WatchEvent e = left <= 0 ? null : q.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("condition not reached within " + WAIT_SECONDS + "s; view " + view + ", events " + seen);
            }
            seen.add(e);
            apply(view, e);
        }
        return seen;
    }

    static Map<String, String> values(StoreSnapshot s) {
        Map<String, String> m = new HashMap<>();
        s.entries().forEach((k, kv) -> m.put(k, kv.value()));
        return m;
    }
}
