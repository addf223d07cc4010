package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/**
 * Azure OpenAI: the deployment URL in {@code override.endpoint} (required) is used as given, its
 * {@code api-version} query included. The deployment selects the model, so the body's
 * {@code model} is removed, as APISIX does.
 */
public final class AzureOpenAi extends AiProvider {

    public AzureOpenAi() {
        super("azure-openai", null, caps(AiProtocol.CHAT, "/completions", AiProtocol.EMBEDDINGS, "/embeddings"));
    }

    @Override
    public void rewriteBody(AiProtocol protocol, JsonObject body) {
        body.remove("model");
    }
}
