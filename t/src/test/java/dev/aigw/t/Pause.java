package dev.aigw.t;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** A test's bounded polling loop, and the pause between two of its tries. */
public final class Pause {

    private Pause() {
    }

    /** Sleeps {@code ms}; an interrupt is kept and ends the test with an exception. */
    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Tries {@code check} every {@code everyMs} until it holds; fails the test with
     * "{@code what} not seen within …" once {@code within} has passed.
     */
    public static void until(String what, Duration within, long everyMs, BooleanSupplier check) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail(what + " not seen within " + within.toSeconds() + " s");
            }
            sleep(everyMs);
        }
    }
}
