package dev.aigw.plugins.aiproxy.provider;

/** AI/ML API: {@code https://api.aimlapi.com/chat/completions}. */
public final class AimlApi extends AiProvider {

    public AimlApi() {
        super("aimlapi", "api.aimlapi.com", "/chat/completions", null);
    }
}
