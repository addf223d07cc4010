package dev.aigw.plugins.aiproxy.provider;

/** DeepSeek: {@code https://api.deepseek.com/chat/completions}. */
public final class DeepSeek extends AiProvider {

    public DeepSeek() {
        super("deepseek", "api.deepseek.com", "/chat/completions", null);
    }
}
