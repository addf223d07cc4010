package dev.aigw.plugins.aiproxy.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A client protocol, named as APISIX names it ({@code openai-chat}, {@code openai-embeddings}). */
public enum AiProtocol {
    CHAT("openai-chat"),
    EMBEDDINGS("openai-embeddings");

    private final String apisixName;

    AiProtocol(String apisixName) {
        this.apisixName = apisixName;
    }

    /** APISIX's protocol name, used in error messages. */
    public String apisixName() {
        return apisixName;
    }

    /** The protocol of a request body: chat when it has a {@code messages} array, embeddings when it has {@code input}; else null. */
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

    /** True when the request asks for a streamed answer ({@code "stream": true}; only chat streams). */
    public boolean isStreaming(JsonObject body) {
        return this == CHAT && Boolean.TRUE.equals(body.getValue("stream"));
    }
}
