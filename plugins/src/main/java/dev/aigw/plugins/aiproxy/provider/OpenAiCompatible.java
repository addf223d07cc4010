package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** Any OpenAI-compatible service at {@code override.endpoint} (required); OpenAI paths when the endpoint has none. */
public final class OpenAiCompatible extends AiProvider {

    public OpenAiCompatible() {
        super("openai-compatible", null, caps(AiProtocol.CHAT, "/v1/chat/completions",
                AiProtocol.RESPONSES, "/v1/responses", AiProtocol.EMBEDDINGS, "/v1/embeddings"));
    }
}
