package dev.aigw.plugins.aiproxy.translator;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Decodes AWS event-stream framing ({@code application/vnd.amazon.eventstream}) as Bedrock's
 * ConverseStream sends it: each message is a 12-byte prelude (total length, headers length, CRC32 of
 * those 8 bytes), the headers, the payload and a CRC32 of everything before it; big-endian. Frames
 * may arrive split across chunks or several to a chunk. A bad checksum or a frame over
 * {@link #MAX_FRAME} bytes is a broken stream ({@link IllegalStateException}).
 */
public final class EventStreamDecoder {

    /** A message, its string headers decoded. */
    public record Frame(String messageType, String eventType, String exceptionType, Buffer payload) {
    }

    /** AWS caps a message at 16 MB; a bigger length is a corrupt stream, not a reason to buffer. */
    public static final int MAX_FRAME = 16 * 1024 * 1024;

    private Buffer pending = Buffer.buffer();

    /** Adds a chunk; returns the whole frames it completes. */
    public List<Frame> feed(Buffer chunk) {
        pending.appendBuffer(chunk);
        List<Frame> out = new ArrayList<>();
        int pos = 0;
        while (pending.length() - pos >= 12) {
            int total = pending.getInt(pos);
            int headersLen = pending.getInt(pos + 4);
            if (total < 16 || total > MAX_FRAME || headersLen < 0 || headersLen > total - 16) {
                throw new IllegalStateException("invalid event-stream frame length " + total);
            }
            if (crc(pending, pos, 8) != pending.getUnsignedInt(pos + 8)) {
                throw new IllegalStateException("event-stream prelude checksum mismatch");
            }
            if (pending.length() - pos < total) {
                break;
            }
            if (crc(pending, pos, total - 4) != pending.getUnsignedInt(pos + total - 4)) {
                throw new IllegalStateException("event-stream message checksum mismatch");
            }
            String messageType = null;
            String eventType = null;
            String exceptionType = null;
            int h = pos + 12;
            int hEnd = h + headersLen;
            while (h < hEnd) {
                int nameLen = pending.getUnsignedByte(h);
                String name = pending.getString(h + 1, h + 1 + nameLen, "UTF-8");
                h += 1 + nameLen;
                int type = pending.getByte(h);
                h += 1;
                String value = null;
                switch (type) {
                    case 0, 1 -> { } // booleans: no value bytes
                    case 2 -> h += 1;
                    case 3 -> h += 2;
                    case 4 -> h += 4;
                    case 5, 8 -> h += 8;
                    case 6, 7 -> {
                        int len = pending.getUnsignedShort(h);
                        if (type == 7) {
                            value = pending.getString(h + 2, h + 2 + len, "UTF-8");
                        }
                        h += 2 + len;
                    }
                    case 9 -> h += 16;
                    default -> throw new IllegalStateException("unknown event-stream header type " + type);
                }
                switch (name) {
                    case ":message-type" -> messageType = value;
                    case ":event-type" -> eventType = value;
                    case ":exception-type" -> exceptionType = value;
                    default -> { }
                }
            }
            out.add(new Frame(messageType, eventType, exceptionType, pending.getBuffer(hEnd, pos + total - 4)));
            pos += total;
        }
        if (pos > 0) {
            pending = pending.getBuffer(pos, pending.length());
        }
        return out;
    }

    /** True when bytes of an unfinished frame are left. */
    public boolean hasRemainder() {
        return pending.length() > 0;
    }

    private static long crc(Buffer b, int from, int len) {
        CRC32 c = new CRC32();
        c.update(b.getBytes(from, from + len));
        return c.getValue();
    }

    /** The payload as text (for errors). */
    static String text(Buffer payload) {
        return payload.toString(StandardCharsets.UTF_8);
    }
}
