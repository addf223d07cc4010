package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/**
 * {@code provider_conf}: settings specific to one provider.
 *
 * @param projectId    GCP project id (vertex-ai), or null
 * @param region       GCP region (vertex-ai) or AWS region (bedrock), or null
 * @param chatProtocol {@code chat_protocol}: the provider protocol OpenAI chat clients are sent to
 *                     when the provider speaks several (anthropic: {@code anthropic-messages} to
 *                     convert to the native Messages API); null for the provider's first choice
 */
public record ProviderConf(String projectId, String region, AiProtocol chatProtocol) {

    public static final ProviderConf NONE = new ProviderConf(null, null, null);

    public ProviderConf(String projectId, String region) {
        this(projectId, region, null);
    }
}
