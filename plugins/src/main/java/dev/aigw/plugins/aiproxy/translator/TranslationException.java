package dev.aigw.plugins.aiproxy.translator;

/** A request or answer that cannot be translated; the message is for the client (with {@link #status()}). */
public final class TranslationException extends Exception {

    private final int status;

    public TranslationException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** 400 for a request the provider cannot take, 500/502 for an answer that cannot be converted. */
    public int status() {
        return status;
    }
}
