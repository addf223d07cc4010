package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/**
 * Anthropic: the native Messages API ({@code /v1/messages}) and, as in APISIX, the OpenAI-compatible
 * chat completions endpoint for OpenAI clients. With {@code provider_conf.chat_protocol:
 * "anthropic-messages"}, OpenAI clients are converted to the Messages API instead (see
 * {@link dev.aigw.plugins.aiproxy.translator.Translators}).
 */
public final class Anthropic extends AiProvider {

    /** The {@code anthropic-version} sent when the client sends none. */
    public static final String DEFAULT_VERSION = "2023-06-01";

    public Anthropic() {
        super("anthropic", "api.anthropic.com", caps(AiProtocol.ANTHROPIC_MESSAGES, "/v1/messages",
                AiProtocol.CHAT, "/v1/chat/completions"));
    }
}
