package dev.aigw.plugins.aiproxy.provider;

/** Any OpenAI-compatible service at {@code override.endpoint} (required); OpenAI paths when the endpoint has none. */
public final class OpenAiCompatible extends AiProvider {

    public OpenAiCompatible() {
        super("openai-compatible", null, "/v1/chat/completions", "/v1/embeddings");
    }
}
