package dev.aigw.gateway.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The caps on entries waiting in batch processors (buffered, being sent or waiting for a retry),
 * shared by every processor of one or more {@link BatchProcessorManager}s: a number of entries
 * (APISIX's {@code max_pending_entries}) and a number of bytes.
 *
 * <p>A pending entry may hold a whole request and response body, so a slow or unreachable log
 * server would otherwise turn the backlog into unbounded memory: 8 192 entries of 1 MiB of bodies
 * each are far more than the heap. Beyond either cap new entries are dropped and counted; the count
 * is logged at most once per second, since a line per dropped entry would itself flood the log
 * during the very outage that causes the drops (as APISIX's {@code max_pending_entries}). Lock-free:
 * safe and cheap from any event loop.
 */
public final class BatchProcessorBacklog {

    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessorBacklog.class);

    /** APISIX's default {@code max_pending_entries}. */
    public static final int DEFAULT_MAX_PENDING_ENTRIES = 8192;

    /** Bytes the waiting entries of one backlog may hold (a plugin's, across its routes). */
    public static final long DEFAULT_MAX_PENDING_BYTES = 32L << 20;

    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final IntSupplier limit;
    private final long maxBytes;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final AtomicLong lastDropLog;

    /**
     * @param name  label in the drop log line
     * @param limit the cap, read at every entry (so it may follow plugin metadata); values below 1
     *              are treated as 1
     */
    public BatchProcessorBacklog(String name, IntSupplier limit) {
        this(name, limit, DEFAULT_MAX_PENDING_BYTES);
    }

    /** With another byte cap ({@link #tryAcquire(long)}). */
    public BatchProcessorBacklog(String name, IntSupplier limit, long maxPendingBytes) {
        this.name = name;
        this.limit = limit;
        this.maxBytes = maxPendingBytes;
        this.lastDropLog = new AtomicLong(System.nanoTime() - DROP_LOG_INTERVAL_NANOS);
    }

    /**
     * Takes one slot for an entry of about {@code bytes} bytes (0: unknown, counted by the entry cap
     * only); false (and the entry counted as dropped) when either cap would be exceeded.
     */
    public boolean tryAcquire(long bytes) {
        long cap = Math.max(1, limit.getAsInt());
        if (pending.incrementAndGet() > cap) {
            pending.decrementAndGet();
            drop("max pending entries limit exceeded", "max_pending_entries", cap);
            return false;
        }
        if (bytes > 0 && pendingBytes.addAndGet(bytes) > maxBytes) {
            pendingBytes.addAndGet(-bytes);
            pending.decrementAndGet();
            drop("max pending bytes limit exceeded", "max_pending_bytes", maxBytes);
            return false;
        }
        return true;
    }

    private void drop(String why, String capName, long cap) {
        dropped.incrementAndGet();
        droppedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastDropLog.get();
        if (now - last >= DROP_LOG_INTERVAL_NANOS && lastDropLog.compareAndSet(last, now)) {
            LOG.error("Batch Processor[{}] {}. discarding entries. discarded_entries: {}, pending_entries: {},"
                            + " pending_bytes: {}, {}: {}",
                    name, why, droppedSinceLog.getAndSet(0), pending.get(), pendingBytes.get(), capName, cap);
        }
    }

    /** Gives back {@code n} slots and the bytes they held, once the entries were sent or finally dropped. */
    public void release(int n, long bytes) {
        pending.addAndGet(-n);
        if (bytes > 0) {
            pendingBytes.addAndGet(-bytes);
        }
    }

    /** Entries currently waiting. */
    public long pending() {
        return pending.get();
    }

    /** Bytes the waiting entries hold (as their producers counted them). */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** Entries dropped because the backlog was full, since start. */
    public long dropped() {
        return dropped.get();
    }
}
