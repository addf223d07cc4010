package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** OpenRouter: {@code https://openrouter.ai/api/v1/chat/completions}. */
public final class OpenRouter extends AiProvider {

    public OpenRouter() {
        super("openrouter", "openrouter.ai", caps(AiProtocol.CHAT, "/api/v1/chat/completions"));
    }
}
