package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** DeepSeek: {@code https://api.deepseek.com/chat/completions}. */
public final class DeepSeek extends AiProvider {

    public DeepSeek() {
        super("deepseek", "api.deepseek.com", caps(AiProtocol.CHAT, "/chat/completions"));
    }
}
