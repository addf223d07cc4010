package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * AWS Bedrock through the Converse API, as APISIX's {@code ai-providers/bedrock.lua}:
 * {@code https://bedrock-runtime.{region}.amazonaws.com/model/{model}/converse} (or
 * {@code /converse-stream}, answered in AWS event-stream frames), the model URL-encoded as one path
 * segment (inference profile ARNs hold {@code /} and {@code :}), requests signed with SigV4 from
 * {@code auth.aws}, {@code provider_conf.region} required. OpenAI chat clients reach it through a
 * translator.
 */
public final class Bedrock extends AiProvider {

    public Bedrock() {
        super("bedrock", null, caps(AiProtocol.BEDROCK_CONVERSE, null));
    }

    @Override
    public boolean requiresEndpoint() {
        return false; // the host comes from provider_conf.region
    }

    @Override
    public String checkConf(ProviderConf conf) {
        return conf.region() == null ? "bedrock requires provider_conf.region" : null;
    }

    @Override
    public String host(ProviderConf conf) {
        return conf.region() == null ? null : "bedrock-runtime." + conf.region() + ".amazonaws.com";
    }

    @Override
    public String path(AiProtocol protocol, ProviderConf conf, String model, boolean stream) {
        if (protocol != AiProtocol.BEDROCK_CONVERSE || model == null || model.isEmpty()) {
            return null;
        }
        String m = URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
        return "/model/" + m + (stream ? "/converse-stream" : "/converse");
    }

    /** Converse: {@code inferenceConfig.maxTokens} (as APISIX). */
    @Override
    public void maxTokens(AiProtocol protocol, JsonObject body, long max) {
        if (protocol == AiProtocol.BEDROCK_CONVERSE) {
            JsonObject ic = body.getValue("inferenceConfig") instanceof JsonObject o ? o.copy() : new JsonObject();
            body.put("inferenceConfig", ic.put("maxTokens", max));
        }
    }

    @Override
    public void rewriteBody(AiProtocol protocol, JsonObject body) {
        body.remove("model"); // the URL selects the model
    }
}
