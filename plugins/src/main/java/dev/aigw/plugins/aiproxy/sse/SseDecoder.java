package dev.aigw.plugins.aiproxy.sse;

import io.vertx.core.buffer.Buffer;

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
    /** False while {@link #pending} is the caller's chunk itself: it must be copied before it is kept. */
    private boolean owned = true;
    private int scanFrom;
    private int eventStart;
    private String eventName;
    /** The first {@code data:} line; {@link #moreData} only once a second one arrives (rare). */
    private String data;
    private StringBuilder moreData;
    private boolean droppedOversize;

    /** Adds bytes and returns every event that is now complete, in order. */
    public List<SseEvent> feed(Buffer chunk) {
        List<SseEvent> out = new ArrayList<>(2);
        if (pending.length() == 0) {
            // scanned in place: the events' raw bytes are slices of it, only an unfinished tail is copied
            pending = chunk;
            owned = false;
        } else {
            pending.appendBuffer(chunk);
        }
        Buffer buf = pending;
        int len = buf.length();
        int i = scanFrom;
        int lineStart = scanFrom;
        while (i < len) {
            byte b = buf.getByte(i);
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
                next = buf.getByte(i + 1) == '\n' ? i + 2 : i + 1;
            } else {
                next = i + 1;
            }
            if (lineEnd == lineStart) {
                // blank line: dispatch the event collected so far; its bytes are never written again
                // (a tail that is kept is copied below), so a slice is as good as a copy
                Buffer raw = buf.slice(eventStart, next);
                if (eventName != null || data != null) {
                    out.add(new SseEvent(eventName == null ? "message" : eventName, dataString(), raw));
                } else {
                    out.add(new SseEvent("message", null, raw)); // keep stray blank lines byte-exact
                }
                eventName = null;
                data = null;
                moreData = null;
                eventStart = next;
            } else {
                field(buf, lineStart, lineEnd);
            }
            i = next;
            lineStart = next;
        }
        // keep only the unconsumed tail, in a buffer of our own (appended to by the next feed)
        if (eventStart > 0) {
            pending = eventStart == len ? Buffer.buffer() : buf.getBuffer(eventStart, len);
            owned = true;
            lineStart -= eventStart;
            eventStart = 0;
        } else if (!owned) {
            pending = buf.copy();
            owned = true;
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
            moreData = null;
        }
        return out;
    }

    private String dataString() {
        return moreData != null ? moreData.toString() : data;
    }

    /** The bytes of an unfinished event at end of stream (passed through as they are), possibly empty. */
    public Buffer remainder() {
        Buffer r = pending;
        pending = Buffer.buffer();
        scanFrom = 0;
        eventStart = 0;
        eventName = null;
        data = null;
        moreData = null;
        return r;
    }

    /** True once a partial event exceeded {@link #MAX_PENDING} and was passed on uninterpreted. */
    public boolean droppedOversize() {
        return droppedOversize;
    }

    /**
     * One non-blank line {@code [start, end)} of {@code buf}. The field name is compared as bytes
     * (only {@code data} and {@code event} matter) and only the value is decoded (UTF-8), so no string
     * is made for comments and ignored fields.
     */
    private void field(Buffer buf, int start, int end) {
        if (buf.getByte(start) == ':') {
            return; // comment
        }
        int colon = -1;
        for (int k = start; k < end; k++) {
            if (buf.getByte(k) == ':') {
                colon = k;
                break;
            }
        }
        int nameEnd = colon < 0 ? end : colon;
        boolean isData = is(buf, start, nameEnd, DATA);
        if (!isData && !is(buf, start, nameEnd, EVENT)) {
            return;
        }
        String value;
        if (colon < 0) {
            value = "";
        } else {
            int from = colon + 1;
            if (from < end && buf.getByte(from) == ' ') {
                from++;
            }
            value = from == end ? "" : buf.getString(from, end); // UTF-8
        }
        if (isData) {
            if (data == null) {
                data = value;
            } else {
                if (moreData == null) {
                    moreData = new StringBuilder(data.length() + value.length() + 16).append(data);
                }
                moreData.append('\n').append(value);
                data = ""; // non-null: the event has data
            }
        } else {
            eventName = value;
        }
    }

    private static final byte[] DATA = {'d', 'a', 't', 'a'};
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};

    private static boolean is(Buffer buf, int start, int end, byte[] name) {
        if (end - start != name.length) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            if (buf.getByte(start + k) != name[k]) {
                return false;
            }
        }
        return true;
    }
}
