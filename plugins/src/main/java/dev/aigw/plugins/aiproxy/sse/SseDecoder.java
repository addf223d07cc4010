package dev.aigw.plugins.aiproxy.sse;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental SSE decoder: {@link #feed} takes the bytes as they arrive and returns the events that
 * became complete; a partial event is kept until its terminating blank line arrives. Lines may end
 * with {@code \n}, {@code \r\n} or {@code \r}.
 *
 * <p>Not thread-safe: one decoder per stream, used on the stream's event loop.
 */
public final class SseDecoder {

    /**
     * A partial event larger than this is given up on (its bytes are passed on uninterpreted), so a
     * broken upstream cannot grow memory without bound.
     */
    public static final int MAX_PENDING = 1 << 20;

    private Buffer pending = Buffer.buffer();
    private int scanFrom;
    private int eventStart;
    private String eventName;
    private StringBuilder data;
    private boolean droppedOversize;

    /** Adds bytes and returns every event that is now complete, in order. */
    public List<SseEvent> feed(Buffer chunk) {
        List<SseEvent> out = new ArrayList<>(2);
        if (pending.length() == 0) {
            pending = chunk.copy();
        } else {
            pending.appendBuffer(chunk);
        }
        int len = pending.length();
        int i = scanFrom;
        int lineStart = scanFrom;
        while (i < len) {
            byte b = pending.getByte(i);
            if (b != '\n' && b != '\r') {
                i++;
                continue;
            }
            int lineEnd = i;
            int next;
            if (b == '\r') {
                if (i + 1 >= len) {
                    break; // a lone \r at the end may be the first half of \r\n: wait for more
                }
                next = pending.getByte(i + 1) == '\n' ? i + 2 : i + 1;
            } else {
                next = i + 1;
            }
            if (lineEnd == lineStart) {
                // blank line: dispatch the event collected so far
                Buffer raw = pending.getBuffer(eventStart, next);
                if (eventName != null || data != null) {
                    out.add(new SseEvent(eventName == null ? "message" : eventName,
                            data == null ? null : data.toString(), raw));
                } else {
                    out.add(new SseEvent("message", null, raw)); // keep stray blank lines byte-exact
                }
                eventName = null;
                data = null;
                eventStart = next;
            } else {
                field(pending.getString(lineStart, lineEnd, StandardCharsets.UTF_8.name()));
            }
            i = next;
            lineStart = next;
        }
        // keep only the unconsumed tail
        if (eventStart > 0) {
            pending = pending.getBuffer(eventStart, len);
            lineStart -= eventStart;
            eventStart = 0;
        }
        scanFrom = lineStart;
        if (pending.length() > MAX_PENDING) {
            droppedOversize = true;
            // pass the bytes on uninterpreted rather than lose them
            out.add(new SseEvent("message", null, pending));
            pending = Buffer.buffer();
            scanFrom = 0;
            eventName = null;
            data = null;
        }
        return out;
    }

    /** The bytes of an unfinished event at end of stream (passed through as they are), possibly empty. */
    public Buffer remainder() {
        Buffer r = pending;
        pending = Buffer.buffer();
        scanFrom = 0;
        eventStart = 0;
        eventName = null;
        data = null;
        return r;
    }

    /** True once a partial event exceeded {@link #MAX_PENDING} and was passed on uninterpreted. */
    public boolean droppedOversize() {
        return droppedOversize;
    }

    private void field(String line) {
        if (line.startsWith(":")) {
            return; // comment
        }
        int colon = line.indexOf(':');
        String name = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if ("data".equals(name)) {
            if (data == null) {
                data = new StringBuilder(value);
            } else {
                data.append('\n').append(value);
            }
        } else if ("event".equals(name)) {
            eventName = value;
        }
    }
}
