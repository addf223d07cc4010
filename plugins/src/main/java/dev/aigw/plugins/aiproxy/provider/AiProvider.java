package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/**
 * An LLM provider as a declaration: its APISIX name, default host, the path of each protocol it
 * speaks, and the few body tweaks it needs. Everything that performs a call lives in
 * {@link dev.aigw.plugins.aiproxy.AiExecutor}; a provider only answers questions.
 *
 * <p>Instances are immutable and shared.
 */
public abstract sealed class AiProvider
        permits OpenAi, DeepSeek, AzureOpenAi, Gemini, VertexAi, Anthropic, OpenRouter, AimlApi, OpenAiCompatible {

    private final String name;
    private final String host;
    private final String chatPath;
    private final String embeddingsPath;

    /**
     * @param name           APISIX's provider name
     * @param host           default host (https, port 443), or null when {@code override.endpoint} is required
     * @param chatPath       path of chat completions, or null when unsupported
     * @param embeddingsPath path of embeddings, or null when unsupported
     */
    protected AiProvider(String name, String host, String chatPath, String embeddingsPath) {
        this.name = name;
        this.host = host;
        this.chatPath = chatPath;
        this.embeddingsPath = embeddingsPath;
    }

    /** APISIX's provider name ({@code openai}, {@code vertex-ai} …). */
    public final String name() {
        return name;
    }

    /** True when the provider speaks this protocol. */
    public boolean supports(AiProtocol protocol) {
        return (protocol == AiProtocol.CHAT ? chatPath : embeddingsPath) != null;
    }

    /** The default host (https on port 443), or null when the provider has none. */
    public String host(ProviderConf conf) {
        return host;
    }

    /**
     * The path for a protocol, or null when it cannot be resolved (unsupported protocol, or a
     * model-dependent path without a model).
     */
    public String path(AiProtocol protocol, ProviderConf conf, String model) {
        return protocol == AiProtocol.CHAT ? chatPath : embeddingsPath;
    }

    /** True when {@code override.endpoint} must be configured (the provider has no default address). */
    public boolean requiresEndpoint() {
        return host == null;
    }

    /** True when the body's {@code model} must be removed (the URL selects the model, as on Azure). */
    public boolean removeModel() {
        return false;
    }

    /** True when the provider honours {@code stream_options.include_usage} (the OpenAI-compatible ones). */
    public boolean acceptsStreamOptions() {
        return true;
    }

    /** True when embeddings go through Vertex AI's predict API and need converting. */
    public boolean embeddingsViaVertexPredict() {
        return false;
    }

    @Override
    public String toString() {
        return name;
    }
}
