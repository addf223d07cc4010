package dev.aigw.t;

/** The pause between two tries of a test's bounded polling loop. */
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
}
