package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/** OpenAI: {@code https://api.openai.com/v1/chat/completions} and {@code /v1/embeddings}. */
public final class OpenAi extends AiProvider {

    public OpenAi() {
        super("openai", "api.openai.com", caps(AiProtocol.CHAT, "/v1/chat/completions",
                AiProtocol.RESPONSES, "/v1/responses", AiProtocol.EMBEDDINGS, "/v1/embeddings"));
    }

    /** Chat: {@code max_completion_tokens}, the deprecated {@code max_tokens} removed (as APISIX). */
    @Override
    public void maxTokens(AiProtocol protocol, JsonObject body, long max) {
        if (protocol == AiProtocol.CHAT) {
            body.put("max_completion_tokens", max);
            body.remove("max_tokens");
        } else {
            super.maxTokens(protocol, body, max);
        }
    }
}
