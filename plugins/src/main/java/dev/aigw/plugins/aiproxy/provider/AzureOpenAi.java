package dev.aigw.plugins.aiproxy.provider;

/**
 * Azure OpenAI: the deployment URL in {@code override.endpoint} (required) is used as given, its
 * {@code api-version} query included. The deployment selects the model, so the body's
 * {@code model} is removed, as APISIX does.
 */
public final class AzureOpenAi extends AiProvider {

    public AzureOpenAi() {
        super("azure-openai", null, "/completions", "/embeddings");
    }

    @Override
    public boolean removeModel() {
        return true;
    }
}
