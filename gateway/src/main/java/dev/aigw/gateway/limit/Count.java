package dev.aigw.gateway.limit;

/**
 * The state of one counter after a check.
 *
 * @param accepted  whether the request fits (for a reservation: whether it was added)
 * @param consumed  what the window holds after the check (for a refused reservation: before it);
 *                  for a sliding window, the current window's count plus the weighted previous one
 * @param resetMs   milliseconds until the window ends
 */
public record Count(boolean accepted, long consumed, long resetMs) {

    /** What is left of {@code limit}, never below 0. */
    public long remaining(long limit) {
        return Math.max(0, limit - consumed);
    }

    /** Seconds until the reset, floored to 2 decimals as APISIX reports it. */
    public double resetSeconds() {
        return Math.floor(resetMs / 10.0) / 100.0;
    }
}
