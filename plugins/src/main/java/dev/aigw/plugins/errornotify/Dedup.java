package dev.aigw.plugins.errornotify;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rate limit per failure key (route and kind of failure): at most {@code max} messages per window;
 * what is held back is counted and reported with the next message, so an outage of thousands of
 * failed requests sends a few messages that still say how many failed. Bounded: past
 * {@value #MAX_KEYS} keys (hostile route churn) new keys are dropped and counted.
 */
final class Dedup {

    static final int MAX_KEYS = 1024;

    /** What to do with one failure: send (with the count held back before it), or not. */
    record Decision(boolean send, long suppressedBefore) {
    }

    /** Guarded by the map's lock on its key: read and changed only inside {@code compute}. */
    private static final class Window {
        long start;
        int sent;
        long suppressed;
    }

    private final long windowMs;
    private final int max;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final AtomicLong droppedKeys;

    /** {@code droppedKeys} counts the keys past the cap; the plugin shares one over its configurations. */
    Dedup(long windowMs, int max, AtomicLong droppedKeys) {
        this.windowMs = windowMs;
        this.max = max;
        this.droppedKeys = droppedKeys;
    }

    /**
     * Each key's window changes inside the map's own per-key lock ({@code compute}), as does the
     * purge's removal: a failure never lands in a window that a purge is taking away (its count held
     * back would be lost, and a fresh window would let {@code max} more messages through).
     */
    Decision offer(String key, long nowMs) {
        if (windows.size() >= MAX_KEYS && !windows.containsKey(key)) {
            purge(nowMs);
            if (windows.size() >= MAX_KEYS) {
                droppedKeys.incrementAndGet();
                return new Decision(false, 0);
            }
        }
        Decision[] out = new Decision[1];
        windows.compute(key, (k, w) -> { // only failed requests get here, from several event loops
            Window win = w == null ? new Window() : w;
            if (nowMs - win.start >= windowMs) { // a new window (a new Window starts at 0: always)
                win.start = nowMs;
                win.sent = 0;
            }
            if (win.sent < max) {
                win.sent++;
                out[0] = new Decision(true, win.suppressed);
                win.suppressed = 0;
            } else {
                win.suppressed++;
                out[0] = new Decision(false, 0);
            }
            return win;
        });
        return out[0];
    }

    /** Forgets windows that ended with nothing held back. */
    private void purge(long nowMs) {
        for (String k : windows.keySet()) {
            windows.computeIfPresent(k, (key, w) -> nowMs - w.start >= windowMs && w.suppressed == 0 ? null : w);
        }
    }

    long droppedKeys() {
        return droppedKeys.get();
    }
}
