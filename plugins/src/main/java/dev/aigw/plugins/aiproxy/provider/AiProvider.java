package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An LLM provider as a declaration, as APISIX's {@code ai-providers/*.lua}: its name, default host,
 * and its capabilities (each protocol it speaks natively, with the path). How a client's protocol
 * reaches one of them is the business of a {@link dev.aigw.plugins.aiproxy.translator.Translator};
 * everything that performs a call lives in {@link dev.aigw.plugins.aiproxy.AiExecutor}.
 *
 * <p>Instances are immutable and shared.
 */
public abstract class AiProvider {

    private final String name;
    private final String host;
    private final Map<AiProtocol, String> paths;

    /**
     * @param name  APISIX's provider name
     * @param host  default host (https, port 443), or null when {@code override.endpoint} is required
     * @param paths each protocol spoken natively, in preference order, with its path (null when the
     *              path depends on the configuration: override {@link #path})
     */
    protected AiProvider(String name, String host, Map<AiProtocol, String> paths) {
        this.name = name;
        this.host = host;
        this.paths = Collections.unmodifiableMap(new LinkedHashMap<>(paths));
    }

    /** A map that keeps the given order ({@code Map.of} does not). */
    protected static Map<AiProtocol, String> caps(Object... protocolAndPath) {
        Map<AiProtocol, String> m = new LinkedHashMap<>();
        for (int i = 0; i < protocolAndPath.length; i += 2) {
            m.put((AiProtocol) protocolAndPath[i], (String) protocolAndPath[i + 1]);
        }
        return m;
    }

    /** APISIX's provider name ({@code openai}, {@code vertex-ai} …). */
    public final String name() {
        return name;
    }

    /** True when the provider speaks this protocol natively. */
    public final boolean supports(AiProtocol protocol) {
        return paths.containsKey(protocol);
    }

    /** The protocols spoken natively, in preference order (for error messages). */
    public final List<AiProtocol> capabilities() {
        return new ArrayList<>(paths.keySet());
    }

    /** The default host (https on port 443), or null when the provider has none. */
    public String host(ProviderConf conf) {
        return host;
    }

    /** {@link #path(AiProtocol, ProviderConf, String, boolean)} for a call that does not stream. */
    public final String path(AiProtocol protocol, ProviderConf conf, String model) {
        return path(protocol, conf, model, false);
    }

    /**
     * The path for a protocol, or null when it cannot be resolved (unsupported protocol, or a
     * model-dependent path without a model).
     */
    public String path(AiProtocol protocol, ProviderConf conf, String model, boolean stream) {
        return paths.get(protocol);
    }

    /** True when {@code override.endpoint} must be configured (the provider has no default address). */
    public boolean requiresEndpoint() {
        return host == null;
    }

    /**
     * Checks {@code provider_conf} when no {@code override.endpoint} is set: a message naming what
     * is missing, or null when the provider can be reached. Default: nothing needed.
     */
    public String checkConf(ProviderConf conf) {
        return null;
    }

    /**
     * The provider's own touch on a body already in its protocol, as APISIX's
     * {@code rewrite_request_body}: e.g. Azure, whose deployment URL selects the model, drops
     * {@code model}. Default: nothing.
     */
    public void rewriteBody(AiProtocol protocol, JsonObject body) {
    }

    /**
     * Writes {@code override.llm_options.max_tokens} into a body for {@code protocol}, replacing the
     * client's value, under the name the provider reads (APISIX's per-provider
     * {@code rewrite_request_body}). Default, as most providers: {@code max_tokens} for chat and
     * Anthropic Messages, {@code max_output_tokens} for Responses; other protocols have none.
     */
    public void maxTokens(AiProtocol protocol, JsonObject body, long max) {
        switch (protocol) {
            case CHAT, ANTHROPIC_MESSAGES -> body.put("max_tokens", max);
            case RESPONSES -> body.put("max_output_tokens", max);
            default -> {
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
