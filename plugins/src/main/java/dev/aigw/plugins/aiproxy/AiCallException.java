package dev.aigw.plugins.aiproxy;

/**
 * A call to a provider that could not be made or failed before an answer reached the client,
 * with the status the gateway answers ({@code 400} bad request, {@code 500} internal, {@code 502}
 * unreachable, {@code 504} timed out). The message is safe for the client and the log: it never
 * holds a key.
 */
public final class AiCallException extends RuntimeException {

    private final int status;

    public AiCallException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** True for failures where another instance could be tried (unreachable, timeout). */
    public boolean retryable() {
        return status == 502 || status == 504;
    }

    /** Maps a transport failure: timeouts to 504, anything else to 502. */
    static AiCallException transport(Throwable t) {
        if (isTimeout(t)) {
            return new AiCallException(504, "timed out waiting for the LLM server");
        }
        return new AiCallException(502, "failed to connect to the LLM server");
    }

    static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.util.concurrent.TimeoutException
                    || c instanceof io.netty.channel.ConnectTimeoutException
                    || c instanceof java.net.SocketTimeoutException
                    || c.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
