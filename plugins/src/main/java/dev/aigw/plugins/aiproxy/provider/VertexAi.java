package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

/**
 * Google Vertex AI: chat through its OpenAI-compatible endpoint
 * ({@code https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}/endpoints/openapi/chat/completions}),
 * embeddings through the model's predict endpoint (reached from OpenAI embeddings by a
 * translator). Authenticates with an OAuth2 token minted from a service account ({@code auth.gcp}).
 */
public final class VertexAi extends AiProvider {

    public VertexAi() {
        super("vertex-ai", "aiplatform.googleapis.com", caps(AiProtocol.CHAT, null, AiProtocol.VERTEX_PREDICT, null));
    }

    @Override
    public boolean requiresEndpoint() {
        return false; // checked against provider_conf instead
    }

    /** Chat: {@code max_completion_tokens} (as APISIX); predict has none. */
    @Override
    public void maxTokens(AiProtocol protocol, JsonObject body, long max) {
        if (protocol == AiProtocol.CHAT) {
            body.put("max_completion_tokens", max);
        }
    }

    @Override
    public String checkConf(ProviderConf conf) {
        return conf.projectId() == null || conf.region() == null
                ? "vertex-ai requires either provider_conf (project_id + region) or override.endpoint" : null;
    }

    @Override
    public String host(ProviderConf conf) {
        return conf.region() == null ? super.host(conf) : conf.region() + "-aiplatform.googleapis.com";
    }

    @Override
    public String path(AiProtocol protocol, ProviderConf conf, String model, boolean stream) {
        if (conf.projectId() == null || conf.region() == null) {
            return null;
        }
        String base = "/v1/projects/" + conf.projectId() + "/locations/" + conf.region();
        if (protocol == AiProtocol.CHAT) {
            return base + "/endpoints/openapi/chat/completions";
        }
        if (protocol == AiProtocol.VERTEX_PREDICT) {
            return model == null ? null : base + "/publishers/google/models/" + model + ":predict";
        }
        return null;
    }
}
