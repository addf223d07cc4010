package dev.aigw.plugins.aiproxy.translator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The usage chunk asked for on the client's behalf, and the {@code "usage":null} OpenAI then adds, hidden. */
class OpenAiChatNativeTest {

    private static final String STREAM_REQUEST = "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}";

    private static String chunk(String content, String tail) {
        return "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":"
                + "[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]" + tail + "}";
    }

    /** The data lines the client gets for these provider events, one chunk per call. */
    private static List<String> relay(OpenAiChatNative t, Observation obs, List<String> events) {
        List<String> out = new ArrayList<>();
        for (String e : events) {
            String text = t.streamChunk(Buffer.buffer("data: " + e + "\n\n"), obs).toString();
            for (String line : text.split("\n")) {
                if (line.startsWith("data: ")) {
                    out.add(line.substring(6));
                }
            }
        }
        return out;
    }

    @Test
    void theUsageTheClientDidNotAskForNeverReachesItWhicheverWayTheChunkIsWritten() {
        for (boolean collect : new boolean[] {false, true}) {
            OpenAiChatNative t = new OpenAiChatNative();
            JsonObject sent = t.request(new JsonObject(STREAM_REQUEST), false);
            assertTrue(sent.getJsonObject("stream_options").getBoolean("include_usage"));
            Observation obs = new Observation(collect);
            List<String> in = List.of(
                    chunk("Hel", ",\"usage\":null"),
                    chunk("lo", ",\"usage\":null").replace("\"id\":", "\"id\": "), // as the provider spaced it
                    chunk("the usage word", ",\"usage\":null"), // "usage" twice: parsed
                    chunk("x", ",\"usage\":null  "), // trailing spaces
                    "{\"usage\":null,\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}]}", // not last
                    chunk("nested", ",\"meta\":{\"usage\":null}"), // not the outer object's
                    "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}",
                    "[DONE]");
            List<String> out = relay(t, obs, in);
            assertEquals(in.size() - 1, out.size(), "the usage-only chunk is dropped: " + out);
            for (int i = 0; i < 6; i++) {
                JsonObject expected = new JsonObject(in.get(i));
                expected.remove("usage");
                JsonObject got = new JsonObject(out.get(i));
                if (i == 5) {
                    assertEquals(new JsonObject(in.get(i)), got, "a nested usage key is the provider's: kept");
                } else {
                    assertEquals(expected, got, out.get(i));
                    assertFalse(got.containsKey("usage"), out.get(i));
                }
            }
            assertEquals("[DONE]", out.get(6));
            assertNotNull(obs.usage());
            assertEquals(11, obs.usage().totalTokens());
            assertEquals("gpt-4o-2024-08-06", obs.model());
            if (!collect) {
                // not parsed and encoded again: the provider's bytes, only the member cut
                assertEquals(chunk("lo", "").replace("\"id\":", "\"id\": "), out.get(1));
            }
        }
    }

    @Test
    void onlyANullUsageEndingTheOuterObjectOnOneLineIsCutFromTheText() {
        String c = chunk("a", ",\"usage\":null");
        assertEquals(c.length() - ",\"usage\":null}".length(), OpenAiChatNative.nullUsageAtEnd(c));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd(chunk("usage", ",\"usage\":null")));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd(chunk("a", ",\"usage\":{\"total_tokens\":3}")));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd(chunk("\\u0041", ",\"usage\":null")));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd(chunk("a", ",\"m\":{\"usage\":null}")));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd("{\"a\":1,\n\"usage\":null}"));
        assertEquals(-1, OpenAiChatNative.nullUsageAtEnd(",\"usage\":null}"));
    }
}
