package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/**
 * Google Vertex AI: chat through its OpenAI-compatible endpoint
 * ({@code https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}/endpoints/openapi/chat/completions}),
 * embeddings through the model's predict endpoint, converted to and from OpenAI's shape.
 * Authenticates with an OAuth2 token minted from a service account ({@code auth.gcp}).
 */
public final class VertexAi extends AiProvider {

    public VertexAi() {
        super("vertex-ai", "aiplatform.googleapis.com", null, null);
    }

    @Override
    public boolean supports(AiProtocol protocol) {
        return true;
    }

    @Override
    public boolean requiresEndpoint() {
        return false; // checked against provider_conf instead
    }

    @Override
    public String host(ProviderConf conf) {
        return conf.region() == null ? super.host(conf) : conf.region() + "-aiplatform.googleapis.com";
    }

    @Override
    public String path(AiProtocol protocol, ProviderConf conf, String model) {
        if (conf.projectId() == null || conf.region() == null) {
            return null;
        }
        String base = "/v1/projects/" + conf.projectId() + "/locations/" + conf.region();
        if (protocol == AiProtocol.CHAT) {
            return base + "/endpoints/openapi/chat/completions";
        }
        return model == null ? null : base + "/publishers/google/models/" + model + ":predict";
    }

    @Override
    public boolean embeddingsViaVertexPredict() {
        return true;
    }
}
