package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.sse.SseDecoder;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SseDecoderTest {

    @Test
    void eventsSplitAcrossChunksKeepTheirExactBytes() {
        String stream = "data: {\"a\":1}\n\nevent: ping\ndata: x\ndata: y\n\n: comment\n\ndata: [DONE]\n\n";
        for (int split = 1; split < stream.length(); split++) {
            SseDecoder d = new SseDecoder();
            List<SseEvent> evs = new ArrayList<>(d.feed(Buffer.buffer(stream.substring(0, split))));
            evs.addAll(d.feed(Buffer.buffer(stream.substring(split))));
            assertEquals(4, evs.size(), "split at " + split);
            assertEquals("{\"a\":1}", evs.get(0).data());
            assertEquals("ping", evs.get(1).event());
            assertEquals("x\ny", evs.get(1).data());
            assertNull(evs.get(2).data());
            assertEquals("[DONE]", evs.get(3).data());
            StringBuilder joined = new StringBuilder();
            evs.forEach(e -> joined.append(e.raw().toString()));
            assertEquals(stream, joined.toString());
            assertEquals(0, d.remainder().length());
        }
    }

    @Test
    void crlfLinesAndAnUnfinishedTail() {
        SseDecoder d = new SseDecoder();
        List<SseEvent> evs = d.feed(Buffer.buffer("data: one\r\n\r\ndata: tw"));
        assertEquals(1, evs.size());
        assertEquals("one", evs.get(0).data());
        assertEquals("data: one\r\n\r\n", evs.get(0).raw().toString());
        assertEquals("data: tw", d.remainder().toString());
    }
}
