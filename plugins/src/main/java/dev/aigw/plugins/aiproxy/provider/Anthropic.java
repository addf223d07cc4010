package dev.aigw.plugins.aiproxy.provider;

/** Anthropic through its OpenAI-compatible chat completions endpoint. */
public final class Anthropic extends AiProvider {

    public Anthropic() {
        super("anthropic", "api.anthropic.com", "/v1/chat/completions", null);
    }
}
