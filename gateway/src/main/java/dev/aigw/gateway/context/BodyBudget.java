package dev.aigw.gateway.context;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway-wide budget for request bodies held in memory at once ({@code apisix.request_body_buffer_budget}).
 * Every body read into memory (post_arg matching, ai-proxy, a logger's {@code include_req_body}) reserves
 * its bytes here first — the whole {@code Content-Length} up front, or chunk by chunk for a chunked body —
 * and gives them back when its request ends. A read that would pass the budget fails with
 * {@link RequestContext.BodyBudgetExceededException} (the gateway answers 503): a burst of large bodies
 * ends in 503s, never in an {@link OutOfMemoryError}.
 *
 * <p>Thread-safe: one instance is shared by every event loop.
 */
public final class BodyBudget {

    /** No budget: bodies are limited only by their caps (tests, embedded use). */
    public static final BodyBudget UNLIMITED = new BodyBudget(0);

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    /** @param limit bytes held at once by all requests together; 0 for no limit */
    public BodyBudget(long limit) {
        this.limit = Math.max(0, limit);
    }

    /** Bytes this budget allows at once; 0 means unlimited. */
    public long limit() {
        return limit;
    }

    /** Bytes reserved right now. */
    public long used() {
        return used.get();
    }

    /** Reads refused since the start because the budget was spent. */
    public long rejected() {
        return rejected.get();
    }

    boolean tryReserve(long bytes) {
        if (limit == 0 || bytes <= 0) {
            return true;
        }
        while (true) {
            long u = used.get();
            if (u + bytes > limit) {
                rejected.incrementAndGet();
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        if (limit != 0 && bytes > 0) {
            used.addAndGet(-bytes);
        }
    }
}
