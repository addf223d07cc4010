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

    private static final class Window {
        long start;
        int sent;
        long suppressed;
    }

    private final long windowMs;
    private final int max;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final AtomicLong droppedKeys = new AtomicLong();

    Dedup(long windowMs, int max) {
        this.windowMs = windowMs;
        this.max = max;
    }

    Decision offer(String key, long nowMs) {
        Window w = windows.get(key);
        if (w == null) {
            if (windows.size() >= MAX_KEYS) {
                purge(nowMs);
                if (windows.size() >= MAX_KEYS) {
                    droppedKeys.incrementAndGet();
                    return new Decision(false, 0);
                }
            }
            w = windows.computeIfAbsent(key, k -> new Window());
        }
        synchronized (w) { // only failed requests get here, from several event loops
            if (nowMs - w.start >= windowMs) { // a new window (a new Window starts at 0: always)
                w.start = nowMs;
                w.sent = 0;
            }
            if (w.sent < max) {
                w.sent++;
                long before = w.suppressed;
                w.suppressed = 0;
                return new Decision(true, before);
            }
            w.suppressed++;
            return new Decision(false, 0);
        }
    }

    /** Forgets windows that ended with nothing held back. */
    private void purge(long nowMs) {
        windows.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return nowMs - e.getValue().start >= windowMs && e.getValue().suppressed == 0;
            }
        });
    }

    long droppedKeys() {
        return droppedKeys.get();
    }
}
