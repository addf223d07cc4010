package dev.aigw.gateway.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The cap on entries waiting in batch processors (buffered, being sent or waiting for a retry),
 * shared by every processor of one or more {@link BatchProcessorManager}s.
 *
 * <p>A pending entry may hold a whole request and response body, so a slow or unreachable log
 * server would otherwise turn the backlog into unbounded memory. Beyond the cap new entries are
 * dropped and counted; the count is logged at most once per second, since a line per dropped entry
 * would itself flood the log during the very outage that causes the drops (as APISIX's
 * {@code max_pending_entries}). Lock-free: safe and cheap from any event loop.
 */
public final class BatchProcessorBacklog {

    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessorBacklog.class);

    /** APISIX's default {@code max_pending_entries}. */
    public static final int DEFAULT_MAX_PENDING_ENTRIES = 8192;

    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final IntSupplier limit;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final AtomicLong lastDropLog;

    /**
     * @param name  label in the drop log line
     * @param limit the cap, read at every entry (so it may follow plugin metadata); values below 1
     *              are treated as 1
     */
    public BatchProcessorBacklog(String name, IntSupplier limit) {
        this.name = name;
        this.limit = limit;
        this.lastDropLog = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL_NANOS);
    }

    /** Takes one slot; false (and the entry counted as dropped) when the backlog is full. */
    public boolean tryAcquire() {
        long cap = Math.max(1, limit.getAsInt());
        if (pending.incrementAndGet() <= cap) {
            return true;
        }
        pending.decrementAndGet();
        dropped.incrementAndGet();
        droppedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastDropLog.get();
        if (now - last >= DROP_LOG_INTERVAL_NANOS && lastDropLog.compareAndSet(last, now)) {
            LOG.error("Batch Processor[{}] max pending entries limit exceeded. discarding entries."
                            + " discarded_entries: {}, pending_entries: {}, max_pending_entries: {}",
                    name, droppedSinceLog.getAndSet(0), pending.get(), cap);
        }
        return false;
    }

    /** Gives back slots once entries were sent or finally dropped. */
    public void release(int n) {
        pending.addAndGet(-n);
    }

    /** Entries currently waiting. */
    public long pending() {
        return pending.get();
    }

    /** Entries dropped because the backlog was full, since start. */
    public long dropped() {
        return dropped.get();
    }
}
