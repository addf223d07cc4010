package dev.aigw.plugins.aiproxy.provider;

/** Google Gemini through its OpenAI-compatible API. */
public final class Gemini extends AiProvider {

    public Gemini() {
        super("gemini", "generativelanguage.googleapis.com", "/v1beta/openai/chat/completions", "/v1beta/openai/embeddings");
    }
}
