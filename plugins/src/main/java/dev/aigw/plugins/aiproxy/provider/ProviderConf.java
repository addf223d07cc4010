package dev.aigw.plugins.aiproxy.provider;

/**
 * {@code provider_conf}: settings specific to one provider.
 *
 * @param projectId GCP project id (vertex-ai), or null
 * @param region    GCP region (vertex-ai), or null
 */
public record ProviderConf(String projectId, String region) {

    public static final ProviderConf NONE = new ProviderConf(null, null);
}
