package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** OpenAI: {@code https://api.openai.com/v1/chat/completions} and {@code /v1/embeddings}. */
public final class OpenAi extends AiProvider {

    public OpenAi() {
        super("openai", "api.openai.com", caps(AiProtocol.CHAT, "/v1/chat/completions",
                AiProtocol.RESPONSES, "/v1/responses", AiProtocol.EMBEDDINGS, "/v1/embeddings"));
    }
}
