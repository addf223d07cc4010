package dev.aigw.gateway.log;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * APISIX's batch processor: collects log entries and hands them to a {@link Handler} in batches.
 *
 * <p>A batch is sent when it reaches {@code batch_max_size} entries (at once when that is 1), when no
 * entry arrived for {@code inactive_timeout}, or at the latest {@code buffer_duration} after its
 * oldest entry. A failed batch is retried after {@code retry_delay}, up to {@code max_retry_count}
 * times, then dropped with an error log. Batches are independent: a slow or retried batch does not
 * hold back the next one.
 *
 * <p>Threading: a processor is confined to one Vert.x context (its timers run there, no thread of
 * its own); {@link #push} may be called from any thread and only enqueues a task. The handler is
 * called on that context and must not block: it returns a future (completed from any thread).
 *
 * <p>Created and owned by a {@link BatchProcessorManager}, which also enforces the global cap on
 * pending entries.
 *
 * @param <T> the entry type
 */
public final class BatchProcessor<T> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);

    /** Sends one batch; a failed future (or an exception) means the batch may be retried. */
    @FunctionalInterface
    public interface Handler<T> {
        /**
         * @param entries      the batch, in arrival order (unmodifiable)
         * @param batchMaxSize the processor's {@code batch_max_size} (APISIX loggers send a single
         *                     object rather than an array when it is 1)
         */
        Future<Void> process(List<T> entries, int batchMaxSize);

        /**
         * The processor is done with a batch: sent, or dropped after its last retry. Called once per
         * batch, on the processor's context; entries holding resources (pooled buffers) release them here.
         */
        default void finished(List<T> entries) {
        }

        /**
         * The processor is retired (its key released, or idle past the manager's stale time) and its
         * last batch is done: called once, on the processor's context. What the handler holds for
         * the processor alone (a producer reference) is given back here. Not called when the whole
         * manager closes: the plugin closes what it holds then.
         */
        default void closed() {
        }
    }

    private static final class Batch<T> {
        final List<T> entries;
        /** The bytes its entries were counted for in the backlog. */
        final long bytes;
        int retryCount;

        Batch(List<T> entries, long bytes) {
            this.entries = Collections.unmodifiableList(entries);
            this.bytes = bytes;
        }
    }

    private final Vertx vertx;
    private final Context context;
    private final BatchProcessorConfig config;
    private final Handler<T> handler;
    private final BatchProcessorBacklog backlog;
    /** Where an entry that reaches this processor after it retired goes (its backlog slot already taken). */
    private final Rerouter<T> reroute;

    /** Pushes an entry whose backlog slot is taken to the live processor of the same key. */
    @FunctionalInterface
    interface Rerouter<T> {
        boolean push(T entry, long bytes);
    }

    // confined to the context
    private List<T> buffer = new ArrayList<>();
    private long bufferBytes;
    private long firstEntryNanos;
    private long lastEntryNanos;
    private long timerId = -1;
    private int inflight;
    /** When an entry last arrived or a batch last finished. */
    private long lastActivityNanos = System.nanoTime();
    private boolean retired;
    private boolean closedCalled;
    private final List<Promise<Void>> idleWaiters = new ArrayList<>();

    BatchProcessor(Vertx vertx, Context context, BatchProcessorConfig config, Handler<T> handler,
                   BatchProcessorBacklog backlog, Rerouter<T> reroute) {
        this.vertx = vertx;
        // the base context: a request runs on a duplicate of its event loop's context, which pushes
        // must recognise as the same (see push)
        this.context = context instanceof ContextInternal ci ? ci.unwrap() : context;
        this.config = config;
        this.handler = handler;
        this.backlog = backlog;
        this.reroute = reroute;
    }

    public BatchProcessorConfig config() {
        return config;
    }

    /**
     * Adds an entry whose backlog slot the caller already took ({@link BatchProcessorManager#push}
     * does). Never blocks.
     */
    void push(T entry, long bytes) {
        Context current = Vertx.currentContext();
        // a request's duplicated context runs on the processor's own event loop: add now, rather than
        // queue a task per entry (the log phase of every logged request)
        if (current == context || current instanceof ContextInternal ci && ci.unwrap() == context) {
            add(entry, bytes);
        } else {
            context.runOnContext(v -> add(entry, bytes));
        }
    }

    /**
     * Sends what is buffered now; the future completes once every batch of this processor has been
     * sent or dropped (retries included).
     */
    Future<Void> flush() {
        Promise<Void> p = Promise.promise();
        context.runOnContext(v -> {
            processBuffer();
            idleWaiters.add(p);
            whenIdle();
        });
        return p.future();
    }

    /**
     * Sends what is buffered and accepts no more entries: a later one goes to the key's next
     * processor. The future completes, and {@link Handler#closed} is called, once every batch of
     * this processor has been sent or dropped.
     */
    Future<Void> retire() {
        Promise<Void> p = Promise.promise();
        context.runOnContext(v -> {
            retired = true;
            processBuffer();
            idleWaiters.add(p);
            whenIdle();
        });
        return p.future();
    }

    /**
     * Retires this processor if nothing is buffered or in flight and nothing happened for
     * {@code staleNanos} (APISIX's stale batch processors); {@code onRetired} then runs on its context.
     */
    void retireIfStale(long staleNanos, Runnable onRetired) {
        context.runOnContext(v -> {
            if (!retired && buffer.isEmpty() && inflight == 0 && System.nanoTime() - lastActivityNanos >= staleNanos) {
                retired = true;
                onRetired.run();
                whenIdle();
            }
        });
    }

    /**
     * Once nothing is buffered or in flight: closes the handler if the processor is retired (once),
     * then completes whoever waits for that ({@link #flush}, {@link #retire}).
     */
    private void whenIdle() {
        if (inflight > 0 || !buffer.isEmpty()) {
            return;
        }
        if (retired && !closedCalled) {
            closedCalled = true;
            try {
                handler.closed();
            } catch (RuntimeException e) {
                LOG.error("Batch Processor[{}] failed to close: {}", config.name(), e.toString());
            }
        }
        List<Promise<Void>> ws = new ArrayList<>(idleWaiters);
        idleWaiters.clear();
        ws.forEach(Promise::tryComplete);
    }

    private void add(T entry, long bytes) {
        // a push that found this processor just before it retired: to the key's next processor (past
        // the manager's close there is none, and the entry is sent from here at once)
        if (retired && reroute.push(entry, bytes)) {
            return;
        }
        lastActivityNanos = System.nanoTime();
        if (config.batchMaxSize() == 1) {
            List<T> one = new ArrayList<>(1);
            one.add(entry);
            execute(new Batch<>(one, bytes));
            return;
        }
        long now = lastActivityNanos;
        if (buffer.isEmpty()) {
            firstEntryNanos = now;
        }
        lastEntryNanos = now;
        buffer.add(entry);
        bufferBytes += bytes;
        if (retired || buffer.size() >= config.batchMaxSize()) { // retired (the manager is closed): at once
            processBuffer();
        } else if (timerId < 0) {
            armTimer(now);
        }
    }

    private void armTimer(long now) {
        long due = Math.min(lastEntryNanos + config.inactiveTimeoutMs() * 1_000_000L,
                firstEntryNanos + config.bufferDurationMs() * 1_000_000L);
        long delayMs = Math.max(1, (due - now + 999_999) / 1_000_000L);
        // we run on our event loop here (our context or a request's duplicate of it): the timer fires there too
        timerId = vertx.setTimer(delayMs, id -> onTimer());
    }

    private void onTimer() {
        timerId = -1;
        if (buffer.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastEntryNanos >= config.inactiveTimeoutMs() * 1_000_000L
                || now - firstEntryNanos >= config.bufferDurationMs() * 1_000_000L) {
            processBuffer();
        } else {
            armTimer(now); // entries kept arriving: wait for quiet, or for buffer_duration
        }
    }

    private void processBuffer() {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
        if (buffer.isEmpty()) {
            return;
        }
        List<T> entries = buffer;
        buffer = new ArrayList<>();
        execute(new Batch<>(entries, bufferBytes));
        bufferBytes = 0;
    }

    private void execute(Batch<T> batch) {
        inflight++;
        attempt(batch);
    }

    private void attempt(Batch<T> batch) {
        Future<Void> f;
        try {
            f = handler.process(batch.entries, config.batchMaxSize());
            if (f == null) {
                f = Future.succeededFuture();
            }
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (Vertx.currentContext() == context) {
                done(batch, ar);
            } else {
                context.runOnContext(v -> done(batch, ar));
            }
        });
    }

    private void done(Batch<T> batch, AsyncResult<Void> ar) {
        if (ar.succeeded()) {
            finish(batch);
            return;
        }
        LOG.error("Batch Processor[{}] failed to process entries: {}", config.name(), String.valueOf(ar.cause()));
        batch.retryCount++;
        if (batch.retryCount <= config.maxRetryCount()) {
            if (config.retryDelayMs() <= 0) {
                context.runOnContext(v -> attempt(batch));
            } else {
                vertx.setTimer(config.retryDelayMs(), id -> attempt(batch));
            }
            return;
        }
        LOG.error("Batch Processor[{}] exceeded the max_retry_count[{}] dropping the entries ({})",
                config.name(), batch.retryCount, batch.entries.size());
        finish(batch);
    }

    private void finish(Batch<T> batch) {
        try {
            handler.finished(batch.entries);
        } catch (RuntimeException e) {
            LOG.error("Batch Processor[{}] failed to release a batch: {}", config.name(), e.toString());
        }
        backlog.release(batch.entries.size(), batch.bytes);
        inflight--;
        lastActivityNanos = System.nanoTime();
        whenIdle();
    }
}
