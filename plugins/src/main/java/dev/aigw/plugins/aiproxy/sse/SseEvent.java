package dev.aigw.plugins.aiproxy.sse;

import io.vertx.core.buffer.Buffer;

/**
 * One server-sent event.
 *
 * @param event the {@code event:} field, or {@code "message"} when absent
 * @param data  the {@code data:} lines joined with {@code \n}, or null when the event had none
 * @param raw   the exact bytes of the event as received, blank line terminator included
 */
public record SseEvent(String event, String data, Buffer raw) {
}
