package dev.aigw.plugins.aiproxymulti;

import java.util.Locale;

/** How the delay between two attempts grows ({@code backoff}). */
public enum Backoff {
    /** Every retry waits {@code retry_delay}. */
    CONSTANT,
    /** The n-th retry waits {@code n × retry_delay}. */
    LINEAR,
    /** The n-th retry waits {@code 2^(n-1) × retry_delay}. */
    EXPONENTIAL;

    /** The wait before retry number {@code retry} (1 for the second attempt), in ms. */
    public long delayMs(long baseMs, int retry) {
        if (baseMs <= 0 || retry < 1) {
            return 0;
        }
        return switch (this) {
            case CONSTANT -> baseMs;
            case LINEAR -> baseMs * retry;
            case EXPONENTIAL -> baseMs << Math.min(retry - 1, 16);
        };
    }

    static Backoff of(String name) {
        return name == null ? CONSTANT : valueOf(name.toUpperCase(Locale.ROOT));
    }
}
