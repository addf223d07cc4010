package dev.aigw.plugins.aiproxy.translator;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The event-stream framing as AWS documents it, fed whole, byte by byte, and corrupted. */
class EventStreamDecoderTest {

    /** A message built by the documented layout (not by the code under test). */
    static Buffer frame(String eventType, String json) {
        Buffer headers = Buffer.buffer();
        for (String[] h : new String[][] {{":event-type", eventType}, {":content-type", "application/json"},
                {":message-type", "event"}}) {
            byte[] n = h[0].getBytes(StandardCharsets.UTF_8);
            byte[] v = h[1].getBytes(StandardCharsets.UTF_8);
            headers.appendByte((byte) n.length).appendBytes(n).appendByte((byte) 7).appendShort((short) v.length).appendBytes(v);
        }
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        Buffer b = Buffer.buffer().appendInt(12 + headers.length() + payload.length + 4).appendInt(headers.length());
        CRC32 c = new CRC32();
        c.update(b.getBytes());
        b.appendInt((int) c.getValue()).appendBuffer(headers).appendBytes(payload);
        CRC32 all = new CRC32();
        all.update(b.getBytes());
        return b.appendInt((int) all.getValue());
    }

    @Test
    void framesWholeAndSplit() {
        Buffer two = frame("messageStart", "{\"role\":\"assistant\"}").appendBuffer(frame("contentBlockDelta",
                "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hé\"}}"));
        List<EventStreamDecoder.Frame> all = new EventStreamDecoder().feed(two);
        assertEquals(2, all.size());
        assertEquals("messageStart", all.get(0).eventType());
        assertEquals("event", all.get(1).messageType());
        assertEquals("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hé\"}}", all.get(1).payload().toString(StandardCharsets.UTF_8));

        EventStreamDecoder d = new EventStreamDecoder();
        List<EventStreamDecoder.Frame> split = new ArrayList<>();
        for (int i = 0; i < two.length(); i++) {
            split.addAll(d.feed(two.getBuffer(i, i + 1)));
        }
        assertEquals(2, split.size());
        assertEquals("contentBlockDelta", split.get(1).eventType());
    }

    @Test
    void aCorruptFrameIsABrokenStream() {
        Buffer f = frame("messageStop", "{\"stopReason\":\"end_turn\"}");
        f.setByte(f.length() - 6, (byte) 'X');
        assertThrows(IllegalStateException.class, () -> new EventStreamDecoder().feed(f));
        Buffer huge = Buffer.buffer().appendInt(Integer.MAX_VALUE).appendInt(0).appendInt(0);
        assertThrows(IllegalStateException.class, () -> new EventStreamDecoder().feed(huge));
    }
}
