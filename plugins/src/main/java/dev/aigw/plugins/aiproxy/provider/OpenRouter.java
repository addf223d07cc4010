package dev.aigw.plugins.aiproxy.provider;

/** OpenRouter: {@code https://openrouter.ai/api/v1/chat/completions}. */
public final class OpenRouter extends AiProvider {

    public OpenRouter() {
        super("openrouter", "openrouter.ai", "/api/v1/chat/completions", null);
    }
}
