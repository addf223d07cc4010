package dev.aigw.plugins.airatelimiting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.aigw.gateway.conf.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The prompt count: OpenAI's per-piece counting, the same with and without the count cache, bounded cache. */
class TokenEstimatorTest {

    private static Vertx vertx;
    private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static long count(TokenEstimator e, JsonObject body) throws Exception {
        return e.promptTokens(body, "gpt-4o").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static JsonObject chat(String system, String user) {
        return new JsonObject().put("model", "gpt-4o").put("messages", new JsonArray()
                .add(new JsonObject().put("role", "system").put("content", system))
                .add(new JsonObject().put("role", "user").put("content", user)));
    }

    @Test
    void countsEachPieceAsOpenAiDoes() throws Exception {
        String system = "You are a careful assistant. Answer in plain English and keep answers short, please.";
        String user = "Hello, how are you?";
        long expected = O200K.countTokensOrdinary(system) + O200K.countTokensOrdinary(user) + 2 * 3 + 3;
        assertEquals(expected, count(new TokenEstimator(vertx, 0), chat(system, user)), "without a cache");
        TokenEstimator cached = new TokenEstimator(vertx, 1 << 20);
        assertEquals(expected, count(cached, chat(system, user)), "first time, cache miss");
        // a new String of the same text (as a new request parses it) hits the cache and counts the same
        assertEquals(expected, count(cached, chat(new String(system.toCharArray()), user)), "cache hit");
        assertEquals(1, cached.stats().hitCount(), "the system prompt (the user text is too short to cache)");
        assertEquals(1, cached.stats().missCount());
    }

    @Test
    void cacheSizeFromPluginAttr() {
        assertEquals(TokenEstimator.DEFAULT_CACHE_CHARS, TokenEstimator.cacheChars(new JsonObject()), "absent: the default");
        assertEquals(0, TokenEstimator.cacheChars(new JsonObject().put("token_count_cache_chars", 0)), "0: cache off");
        assertEquals(5_000_000_000L, TokenEstimator.cacheChars(new JsonObject().put("token_count_cache_chars", 5_000_000_000L)));
        for (Object bad : new Object[] {"1m", -1, 1.5, true}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> TokenEstimator.cacheChars(new JsonObject().put("token_count_cache_chars", bad)), "value " + bad);
            assertEquals("invalid configuration: plugin_attr.ai-rate-limiting.token_count_cache_chars must be an integer >= 0: "
                    + bad, e.getMessage());
        }
    }

    @Test
    void longTextNotSeenBeforeCountedOffTheEventLoopSameCount() throws Exception {
        String big = "lorem ipsum dolor sit amet, ".repeat(2000); // > INLINE_CHARS
        assertTrue(big.length() > TokenEstimator.INLINE_CHARS);
        long expected = O200K.countTokensOrdinary(big) + 3 + 3;
        TokenEstimator e = new TokenEstimator(vertx, 1 << 20);
        JsonObject body = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("content", big)));
        assertEquals(expected, count(e, body));
        assertEquals(expected, count(e, body));
        assertEquals(1, e.stats().hitCount());
    }

    @Test
    void cacheBoundedByCharacters() throws Exception {
        TokenEstimator e = new TokenEstimator(vertx, 10_000);
        for (int i = 0; i < 200; i++) {
            String text = "message number " + i + " " + "x y z ".repeat(30);
            long expected = O200K.countTokensOrdinary(text) + 3 + 3;
            assertEquals(expected, count(e, new JsonObject().put("messages",
                    new JsonArray().add(new JsonObject().put("content", text)))));
        }
        assertTrue(e.cachedChars() <= 10_000, "held " + e.cachedChars());
        assertTrue(e.stats().evictionCount() > 0, "what the bound dropped is counted");
    }
}
