package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/** Google Gemini through its OpenAI-compatible API. */
public final class Gemini extends AiProvider {

    public Gemini() {
        super("gemini", "generativelanguage.googleapis.com", caps(AiProtocol.CHAT, "/v1beta/openai/chat/completions",
                AiProtocol.EMBEDDINGS, "/v1beta/openai/embeddings"));
    }

    /** Chat: {@code max_completion_tokens} (as APISIX). */
    @Override
    public void maxTokens(AiProtocol protocol, JsonObject body, long max) {
        if (protocol == AiProtocol.CHAT) {
            body.put("max_completion_tokens", max);
        }
    }
}
