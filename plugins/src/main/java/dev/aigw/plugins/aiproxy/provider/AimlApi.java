package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;

/** AI/ML API: {@code https://api.aimlapi.com/chat/completions}. */
public final class AimlApi extends AiProvider {

    public AimlApi() {
        super("aimlapi", "api.aimlapi.com", caps(AiProtocol.CHAT, "/chat/completions"));
    }
}
