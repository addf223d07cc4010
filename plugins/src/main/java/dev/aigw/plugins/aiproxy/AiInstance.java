package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.provider.AiProvider;
import dev.aigw.plugins.aiproxy.provider.AwsSigV4;
import dev.aigw.plugins.aiproxy.provider.GcpTokenSource;
import dev.aigw.plugins.aiproxy.provider.ProviderConf;
import dev.aigw.plugins.aiproxy.provider.Providers;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One provider to call, parsed once from configuration: the provider, its auth, the {@code options}
 * merged over every request body, the {@code override} ({@code endpoint} and the body overrides) and
 * {@code provider_conf}.
 *
 * <p>{@code gcp} holds the token cache of a Vertex AI service account: it lives as long as the
 * parsed configuration, so a token is minted once and shared by all requests on the route.
 *
 * @param name         instance name (ai-proxy: {@code ai-proxy-<provider>})
 * @param provider     the provider declaration
 * @param authHeaders  {@code auth.header}, sent on every call
 * @param authQuery    {@code auth.query}, added to every call's query string
 * @param gcp          GCP token source ({@code auth.gcp}), or null
 * @param options      {@code options}, merged over the client's body ({@code model} replaces the client's)
 * @param endpoint     {@code override.endpoint}, or null
 * @param providerConf {@code provider_conf}
 * @param aws          the SigV4 signer of {@code auth.aws} (bedrock), or null
 * @param bodyOverride {@code override.llm_options} / {@code request_body}, applied to the provider's body
 */
public record AiInstance(String name, AiProvider provider, Map<String, String> authHeaders,
                         Map<String, String> authQuery, GcpTokenSource gcp, JsonObject options,
                         Endpoint endpoint, ProviderConf providerConf, AwsSigV4 aws, BodyOverride bodyOverride) {

    /** The environment variable holding the service-account JSON when {@code auth.gcp.service_account_json} is absent. */
    public static final String GCP_ENV = "GCP_SERVICE_ACCOUNT";

    /** {@code options.model}, or null. */
    public String optionsModel() {
        return options.getValue("model") instanceof String s ? s : null;
    }

    /**
     * Parses one instance object (ai-proxy's whole configuration, or one entry of ai-proxy-multi's
     * {@code instances}) that passed the schema. Semantic problems throw with the field named.
     *
     * @param env reads environment variables ({@code System::getenv} in production)
     */
    public static AiInstance parse(String name, JsonObject conf, Function<String, String> env)
            throws PluginConfigException {
        String providerName = conf.getString("provider");
        AiProvider provider = Providers.byName(providerName);
        if (provider == null) {
            throw new PluginConfigException("ai provider: " + providerName + " is not supported.");
        }
        JsonObject auth = conf.getJsonObject("auth", new JsonObject());
        Map<String, String> headers = strings(auth.getJsonObject("header"), "auth.header");
        Map<String, String> query = strings(auth.getJsonObject("query"), "auth.query");

        GcpTokenSource gcp = null;
        JsonObject gcpConf = auth.getJsonObject("gcp");
        if (gcpConf != null) {
            String sa = gcpConf.getString("service_account_json");
            String field = "auth.gcp.service_account_json";
            if (sa == null) {
                sa = env.apply(GCP_ENV);
                field = "environment variable " + GCP_ENV;
            }
            if (sa == null || sa.isBlank()) {
                throw new PluginConfigException("auth.gcp.service_account_json is required when "
                        + GCP_ENV + " is not set");
            }
            GcpTokenSource.ServiceAccount account;
            try {
                account = GcpTokenSource.parse(sa);
            } catch (IllegalArgumentException e) {
                throw new PluginConfigException("invalid gcp service_account_json (" + field + "): " + e.getMessage());
            }
            gcp = new GcpTokenSource(account, gcpConf.getInteger("max_ttl"), gcpConf.getInteger("expire_early_secs", 60));
        }

        JsonObject options = conf.getJsonObject("options", new JsonObject()).copy();
        JsonObject override = conf.getJsonObject("override");
        Endpoint endpoint = null;
        if (override != null && override.getString("endpoint") != null) {
            endpoint = Endpoint.parse(override.getString("endpoint"));
        }
        JsonObject pc = conf.getJsonObject("provider_conf");
        ProviderConf providerConf = pc == null ? ProviderConf.NONE
                : new ProviderConf(pc.getString("project_id"), pc.getString("region"),
                        "anthropic-messages".equals(pc.getString("chat_protocol")) ? AiProtocol.ANTHROPIC_MESSAGES : null);
        if (providerConf.chatProtocol() != null && !provider.supports(providerConf.chatProtocol())) {
            throw new PluginConfigException("provider_conf.chat_protocol: provider " + provider.name()
                    + " does not support " + providerConf.chatProtocol().apisixName());
        }

        if (provider.requiresEndpoint() && endpoint == null) {
            throw new PluginConfigException("override.endpoint is required for provider " + provider.name());
        }
        String missing = endpoint == null ? provider.checkConf(providerConf) : null;
        if (missing != null) {
            throw new PluginConfigException(missing);
        }
        AwsSigV4 aws = null;
        JsonObject awsConf = auth.getJsonObject("aws");
        if (awsConf != null) {
            if (providerConf.region() == null) {
                throw new PluginConfigException("auth.aws requires provider_conf.region");
            }
            aws = new AwsSigV4(awsConf.getString("access_key_id"), awsConf.getString("secret_access_key"),
                    awsConf.getString("session_token"), providerConf.region(), "bedrock");
        } else if ("bedrock".equals(provider.name())) {
            throw new PluginConfigException("bedrock requires auth.aws");
        }
        return new AiInstance(name, provider, headers, query, gcp, options, endpoint, providerConf, aws,
                BodyOverride.parse(override));
    }

    private static Map<String, String> strings(JsonObject o, String field) throws PluginConfigException {
        if (o == null) {
            return Map.of();
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : o) {
            if (!(e.getValue() instanceof String s)) {
                throw new PluginConfigException("property \"" + field + "." + e.getKey() + "\" must be a string");
            }
            m.put(e.getKey(), s);
        }
        return Map.copyOf(m);
    }

    @Override
    public String toString() {
        // never print auth values
        return "AiInstance[" + name + ", " + provider.name() + "]";
    }
}
