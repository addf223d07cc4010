package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** Google Gemini through its OpenAI-compatible API. */
public final class Gemini extends AiProvider {

    public Gemini() {
        super("gemini", "generativelanguage.googleapis.com", caps(AiProtocol.CHAT, "/v1beta/openai/chat/completions",
                AiProtocol.EMBEDDINGS, "/v1beta/openai/embeddings"));
    }
}
