package dev.aigw.gateway.log;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The batch processors of one logger plugin, one per key — typically (route, parsed configuration),
 * as APISIX keys them by the configuration's version — created on first use, with a
 * {@link BatchProcessorBacklog} capping the entries pending across all of them. A processor is
 * retired when its key is released or after {@link #DEFAULT_STALE} idle, as APISIX removes stale
 * ones: an entry that arrives later (a request still running when its route changed) gets a new
 * processor, which is retired in turn, so nothing created by late entries stays for good.
 *
 * <pre>{@code
 * manager.push(new Key(routeId, conf), conf.batch(), () -> (entries, max) -> send(conf, entries), entry);
 * manager.release(k -> ((Key) k).conf() == conf);   // Plugin.release: flush, then retire
 * manager.close();                                   // Plugin.close: flush everything, accept no more
 * }</pre>
 *
 * @param <T> the entry type
 */
public final class BatchProcessorManager<T> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessorManager.class);

    private final Vertx vertx;
    private final BatchProcessorBacklog backlog;
    private final Map<Object, BatchProcessor<T>> processors = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** APISIX's stale batch processors: idle this long, a processor is retired (30 minutes, as APISIX). */
    private volatile long staleNanos = DEFAULT_STALE.toNanos();
    private long sweepTimer = -1;

    /** How long a processor may sit idle before it is retired, as APISIX's batch processor manager. */
    public static final Duration DEFAULT_STALE = Duration.ofMinutes(30);

    /** A manager with its own backlog cap (read at each entry, e.g. from plugin metadata). */
    public BatchProcessorManager(Vertx vertx, String name, IntSupplier maxPendingEntries) {
        this(vertx, new BatchProcessorBacklog(name, maxPendingEntries));
    }

    /** A manager sharing a backlog cap with others. */
    public BatchProcessorManager(Vertx vertx, BatchProcessorBacklog backlog) {
        this.vertx = vertx;
        this.backlog = backlog;
    }

    /**
     * Adds an entry to the processor for {@code key}, creating it (with {@code config} and the
     * handler from {@code handler}) on first use. Never blocks: the entry is queued on the
     * processor's context.
     *
     * @return false when the entry was dropped (backlog full, or the manager is closed)
     */
    public boolean push(Object key, BatchProcessorConfig config, Supplier<BatchProcessor.Handler<T>> handler, T entry) {
        return push(key, config, handler, entry, 0);
    }

    /**
     * {@link #push(Object, BatchProcessorConfig, Supplier, Object)} for an entry of about {@code bytes}
     * bytes, counted against the backlog's byte cap until its batch is done.
     */
    public boolean push(Object key, BatchProcessorConfig config, Supplier<BatchProcessor.Handler<T>> handler, T entry,
                        long bytes) {
        if (closed) {
            return false;
        }
        if (!backlog.tryAcquire(bytes)) {
            return false;
        }
        if (!pushAcquired(key, config, handler, entry, bytes)) {
            backlog.release(1, bytes);
            return false;
        }
        return true;
    }

    /** Adds an entry whose backlog slot is taken; false once the manager is closed. */
    private boolean pushAcquired(Object key, BatchProcessorConfig config, Supplier<BatchProcessor.Handler<T>> handler,
                                 T entry, long bytes) {
        if (closed) {
            return false;
        }
        BatchProcessor<T> p = processors.get(key);
        if (p == null) {
            p = processors.computeIfAbsent(key, k -> {
                // the caller's event loop (or a fresh one off Vert.x threads) hosts the processor's timers
                Context ctx = vertx.getOrCreateContext();
                return new BatchProcessor<>(vertx, ctx, config, handler.get(), backlog,
                        (e, b) -> pushAcquired(key, config, handler, e, b));
            });
            scheduleSweep();
        }
        p.push(entry, bytes);
        return true;
    }

    /**
     * Sets how long a processor may sit idle (nothing buffered or in flight, no entry) before it is
     * retired: its handler is {@linkplain BatchProcessor.Handler#closed closed} and a later entry gets
     * a new processor. This is what retires a processor that a request finishing after its
     * configuration was released created.
     */
    public void staleAfter(Duration idle) {
        this.staleNanos = idle.toNanos();
        cancelSweep();
        if (!processors.isEmpty()) {
            scheduleSweep();
        }
    }

    private synchronized void cancelSweep() {
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
            sweepTimer = -1;
        }
    }

    /** One timer while processors exist: checks each for staleness every stale interval. */
    private synchronized void scheduleSweep() {
        if (sweepTimer >= 0 || closed) {
            return;
        }
        long delayMs = Math.max(1, staleNanos / 1_000_000L);
        sweepTimer = vertx.setTimer(delayMs, id -> {
            synchronized (this) {
                sweepTimer = -1;
            }
            processors.forEach((key, p) -> p.retireIfStale(staleNanos, () -> processors.remove(key, p)));
            if (!processors.isEmpty()) {
                scheduleSweep();
            }
        });
    }

    /**
     * Flushes and retires the processors whose key matches; the future completes once their
     * batches are sent or dropped and their handlers closed. A later entry for such a key (a request
     * that finishes after its route changed) gets a new processor, retired once it is stale.
     */
    public Future<Void> release(Predicate<Object> which) {
        List<Future<Void>> flushes = new ArrayList<>();
        for (Object key : List.copyOf(processors.keySet())) {
            if (which.test(key)) {
                BatchProcessor<T> p = processors.remove(key);
                if (p != null) {
                    flushes.add(p.retire());
                }
            }
        }
        return Future.join(flushes).mapEmpty();
    }

    /** Sends everything buffered now, in every processor; completes when all batches are done. */
    public Future<Void> flushAll() {
        List<Future<Void>> flushes = new ArrayList<>();
        for (BatchProcessor<T> p : processors.values()) {
            flushes.add(p.flush());
        }
        return Future.join(flushes).mapEmpty();
    }

    /**
     * Accepts no more entries, then flushes every processor; the future completes once every
     * accepted entry was sent or dropped (callers bound the wait, retries may take a while).
     */
    public Future<Void> close() {
        closed = true;
        cancelSweep();
        LOG.debug("closing batch processors: {} pending entries", backlog.pending());
        return flushAll().onComplete(ar -> processors.clear());
    }

    /** Entries buffered, being sent or waiting for a retry. */
    public long pending() {
        return backlog.pending();
    }

    /** Entries dropped because the backlog was full. */
    public long dropped() {
        return backlog.dropped();
    }

    /** Live processors. */
    public int processors() {
        return processors.size();
    }

    public BatchProcessorBacklog backlog() {
        return backlog;
    }
}
