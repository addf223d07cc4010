package dev.aigw.plugins.aicache;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of ai-cache a black-box test reaches only by luck: terminal events, escaping, the envelope. */
class AiCacheUnitTest {

    static Buffer b(String s) {
        return Buffer.buffer(s);
    }

    @Test
    void aStreamIsCompleteOnlyWithItsProtocolsTerminalEventAtAFrameBoundary() {
        String chat = "data: {\"choices\":[]}\n\ndata: [DONE]\n\n";
        assertTrue(AiCachePlugin.streamCompleted(AiProtocol.CHAT, b(chat)));
        assertFalse(AiCachePlugin.streamCompleted(AiProtocol.CHAT, b("data: {\"choices\":[]}\n\n")), "no [DONE]");
        assertFalse(AiCachePlugin.streamCompleted(AiProtocol.CHAT, b("data: {\"choices\":[]}\n\ndata: [DONE]")),
                "cut inside the last frame");
        String anthropic = "event: message_delta\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        assertTrue(AiCachePlugin.streamCompleted(AiProtocol.ANTHROPIC_MESSAGES, b(anthropic)));
        assertFalse(AiCachePlugin.streamCompleted(AiProtocol.ANTHROPIC_MESSAGES,
                b("event: message_delta\ndata: {}\n\n")));
        assertTrue(AiCachePlugin.streamCompleted(AiProtocol.RESPONSES,
                b("event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n")));
        assertFalse(AiCachePlugin.streamCompleted(AiProtocol.EMBEDDINGS, b(chat)), "not a streaming protocol");
    }

    @Test
    void scopeValuesCannotForgeAnotherScope() {
        assertEquals("a%3Aconsumer%3Db%25", CacheKeys.esc("a:consumer=b%"));
        assertEquals("", CacheKeys.esc(null));
    }

    @Test
    void envelopeRoundTripsAndRejectsGarbage() {
        CacheEntry e = new CacheEntry("data: [DONE]\n\n", CacheEntry.SSE, 1700000000L, "gpt-4o", 23, 7, 60);
        CacheEntry back = CacheEntry.fromJson(e.toJson().encode());
        assertEquals(e, back);
        assertEquals("text/event-stream", back.contentType());
        assertNull(CacheEntry.fromJson("not json"));
        assertNull(CacheEntry.fromJson("{\"created_at\":1}"));
    }
}
