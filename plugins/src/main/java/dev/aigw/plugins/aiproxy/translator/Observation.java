package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.TokenUsage;

/**
 * What a translator learns from one answer, for the LLM variables: usage (in OpenAI's terms), the
 * model the provider reports, and the answer's text (only when {@code logging.payloads} asks for it).
 * Confined to the request's event loop.
 */
public final class Observation {

    private TokenUsage usage;
    private String model;
    private final StringBuilder text;

    /** @param collectText whether to assemble the answer's text */
    public Observation(boolean collectText) {
        this.text = collectText ? new StringBuilder() : null;
    }

    /** The usage last reported, or null. */
    public TokenUsage usage() {
        return usage;
    }

    /** Records usage; a later report replaces an earlier one (never summed, so never counted twice). */
    public void usage(TokenUsage u) {
        if (u != null) {
            usage = u;
        }
    }

    /** The model the provider named in its answer, or null. */
    public String model() {
        return model;
    }

    /** Records the provider's model (the first one named wins). */
    public void model(String m) {
        if (model == null && m != null) {
            model = m;
        }
    }

    /** True when the answer's text is wanted (and worth parsing events for). */
    public boolean collectingText() {
        return text != null;
    }

    /** Appends answer text (ignored unless collecting). */
    public void text(String s) {
        if (text != null && s != null) {
            text.append(s);
        }
    }

    /** The collected text, or null when not collecting. */
    public String text() {
        return text == null ? null : text.toString();
    }
}
