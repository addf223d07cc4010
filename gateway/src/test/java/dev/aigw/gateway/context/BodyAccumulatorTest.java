package dev.aigw.gateway.context;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class BodyAccumulatorTest {

    @Test
    void oneChunkIsTheBodyWithoutACopy() {
        Buffer chunk = Buffer.buffer("{\"model\":\"gpt-4o\"}");
        RequestContext.BodyAccumulator acc = new RequestContext.BodyAccumulator(chunk.length());
        acc.add(chunk);
        assertSame(chunk, acc.result());
        assertEquals(chunk.length(), acc.length());
    }

    @Test
    void chunksAreJoinedInOrderWhateverContentLengthSaid() {
        for (long declared : new long[] {-1, 0, 3, 9, 1_000_000_000L}) {
            RequestContext.BodyAccumulator acc = new RequestContext.BodyAccumulator(declared);
            acc.add(Buffer.buffer("abc"));
            acc.add(Buffer.buffer("def"));
            acc.add(Buffer.buffer("ghi"));
            assertEquals("abcdefghi", acc.result().toString(), "declared " + declared);
            assertEquals(9, acc.length());
        }
    }

    @Test
    void noChunkIsAnEmptyBody() {
        assertEquals(0, new RequestContext.BodyAccumulator(-1).result().length());
    }
}
