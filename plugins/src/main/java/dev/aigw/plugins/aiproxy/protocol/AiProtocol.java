package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An AI protocol, named as APISIX names it. A client speaks one (detected from its request); a
 * provider speaks one or more (its capabilities); a {@link dev.aigw.plugins.aiproxy.translator.Translator}
 * bridges the two.
 */
public enum AiProtocol {
    /** OpenAI chat completions ({@code messages}). */
    CHAT("openai-chat"),
    /** OpenAI embeddings ({@code input}). */
    EMBEDDINGS("openai-embeddings"),
    /** OpenAI Responses ({@code /v1/responses}). */
    RESPONSES("openai-responses"),
    /** Anthropic Messages ({@code /v1/messages}). */
    ANTHROPIC_MESSAGES("anthropic-messages"),
    /** AWS Bedrock Converse ({@code /model/{m}/converse[-stream]}); provider side only. */
    BEDROCK_CONVERSE("bedrock-converse"),
    /** Vertex AI predict (embeddings); provider side only. */
    VERTEX_PREDICT("vertex-predict"),
    /** Anything else, proxied as it came (method, path, query, body) with the provider's auth. */
    PASSTHROUGH("passthrough");

    private final String apisixName;

    AiProtocol(String apisixName) {
        this.apisixName = apisixName;
    }

    /** APISIX's protocol name, used in error messages and {@code ai_client_protocol}. */
    public String apisixName() {
        return apisixName;
    }

    /** The body-only detection of APISIX's {@code openai-chat} and {@code openai-embeddings}, or null. */
    public static AiProtocol detect(JsonObject body) {
        if (body == null) {
            return null;
        }
        if (body.getValue("messages") instanceof JsonArray) {
            return CHAT;
        }
        if (body.getValue("input") != null) {
            return EMBEDDINGS;
        }
        return null;
    }

    /**
     * APISIX's detection order ({@code ai-protocols/init.lua}): by path first ({@code …/v1/messages},
     * {@code …/v1/responses}), then by body (chat, embeddings), then passthrough. aigw passes through
     * only the calls an AI client makes beside its model calls: listing or reading models
     * ({@code GET …/models[/id]}) and counting tokens ({@code POST …/count_tokens}); any other
     * request stays a 400, so that a mistyped call never reaches the provider with the gateway's key.
     *
     * @param method the client's method
     * @param path   the client's path (no query)
     * @param body   the parsed JSON body, or null when there is none
     * @return the protocol, or null for "no matching AI protocol"
     */
    public static AiProtocol detect(String method, String path, JsonObject body) {
        if (isPassthrough(method, path)) {
            return PASSTHROUGH;
        }
        if (body == null || !"POST".equals(method)) {
            return null;
        }
        if (path.endsWith("/v1/messages")) {
            return ANTHROPIC_MESSAGES;
        }
        if (path.endsWith("/v1/responses")) {
            return RESPONSES;
        }
        return detect(body);
    }

    private static boolean isPassthrough(String method, String path) {
        if ("GET".equals(method)) {
            return path.endsWith("/models") || path.contains("/models/");
        }
        return "POST".equals(method) && path.endsWith("/count_tokens");
    }

    /** True when the request asks for a streamed answer ({@code "stream": true}); embeddings never stream. */
    public boolean isStreaming(JsonObject body) {
        return this != EMBEDDINGS && body != null && Boolean.TRUE.equals(body.getValue("stream"));
    }

    /** What APISIX logs as the request payload: the {@code messages} of a chat, the {@code input} of embeddings and responses. */
    public Object requestContent(JsonObject body) {
        if (body == null) {
            return null;
        }
        return switch (this) {
            case CHAT, ANTHROPIC_MESSAGES -> body.getValue("messages");
            case EMBEDDINGS, RESPONSES -> body.getValue("input");
            default -> null;
        };
    }
}
