package dev.aigw.plugins.aiproxy;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AiAttemptHelpersTest {

    @Test
    void secondsMatchesTheFormatItReplaces() {
        long[] samples = {0, 1, 499_999, 500_000, 999_999, 1_000_000, 41_500_000, 42_000_001, 999_499_999,
                999_500_000, 1_000_000_000, 12_345_678_901L, 3_600_000_000_000L};
        for (long n : samples) {
            assertEquals(String.format(Locale.ROOT, "%.3f", n / 1e9), AiAttempt.seconds(n), "nanos " + n);
        }
    }

    @Test
    void onlyDataWithoutAnyUsageSpellingSkipsParsing() {
        assertTrue(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}"));
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"choices\":[],\"usage\":{\"total_tokens\":3}}"));
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"usage\":null}"));
        // a key spelled with escapes is still a usage key
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"\\u0075sage\":{\"total_tokens\":3}}"));
    }
}
