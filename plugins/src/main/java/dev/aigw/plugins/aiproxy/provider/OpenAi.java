package dev.aigw.plugins.aiproxy.provider;

/** OpenAI: {@code https://api.openai.com/v1/chat/completions} and {@code /v1/embeddings}. */
public final class OpenAi extends AiProvider {

    public OpenAi() {
        super("openai", "api.openai.com", "/v1/chat/completions", "/v1/embeddings");
    }
}
