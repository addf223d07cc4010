package dev.aigw.plugins.aiproxy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AiAttemptHelpersTest {

    @Test
    void onlyDataWithoutAnyUsageSpellingSkipsParsing() {
        assertTrue(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}"));
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"choices\":[],\"usage\":{\"total_tokens\":3}}"));
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"usage\":null}"));
        // a key spelled with escapes is still a usage key
        assertFalse(dev.aigw.plugins.aiproxy.translator.OpenAiChatNative.certainlyNoUsage("{\"\\u0075sage\":{\"total_tokens\":3}}"));
    }
}
