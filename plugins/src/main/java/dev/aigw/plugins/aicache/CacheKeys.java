package dev.aigw.plugins.aicache;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.crypto.Sha256;
import dev.aigw.gateway.resource.SharedResources;
import dev.aigw.plugins.aiproxy.AiInstance;
import dev.aigw.plugins.aiproxy.AiRequest;
import dev.aigw.plugins.aiproxy.Endpoint;
import io.vertx.core.json.JsonObject;


/**
 * APISIX's L1 key: {@code ai-cache:l1:<scope>:<sha256>}. The scope isolates ({@code route=<id>}
 * unless {@code share_across_routes}, {@code consumer=<name>} with {@code include_consumer}, each
 * {@code include_vars} variable), values percent-escaped so that a request-controlled value cannot
 * forge another scope; with no part it is {@code shared}. The hash covers the <em>effective</em>
 * request: the client's protocol and body as it reaches ai-proxy (after the prompt plugins), whether
 * it streams, the effective model and the instance that will be called (provider, options, endpoint,
 * provider_conf) — never its credentials.
 */
final class CacheKeys {

    private CacheKeys() {
    }

    static String scope(AiCacheConfig conf, RequestContext ctx) {
        StringBuilder sb = new StringBuilder(64);
        if (!conf.shareAcrossRoutes()) {
            sb.append("route=").append(esc(ctx.varString("route_id")));
        }
        if (conf.includeConsumer()) {
            sep(sb).append("consumer=").append(esc(ctx.varString("consumer_name")));
        }
        for (String v : conf.includeVars()) {
            sep(sb).append(v).append('=').append(esc(ctx.varString(v)));
        }
        return sb.length() == 0 ? "shared" : sb.toString();
    }

    private static StringBuilder sep(StringBuilder sb) {
        return sb.length() == 0 ? sb : sb.append(':');
    }

    /** {@code %}, {@code :} and {@code =} percent-encoded, as APISIX's key.lua. */
    static String esc(String v) {
        if (v == null) {
            return "";
        }
        return v.replace("%", "%25").replace(":", "%3A").replace("=", "%3D");
    }

    /**
     * sha256 of the canonical effective request.
     *
     * @param effective the instance descriptor ({@link #describe}), computed once per configuration
     * @param model     the effective model (the instance's {@code options.model} wins)
     */
    static String fingerprint(AiRequest req, String effective, String model) {
        JsonObject params = new JsonObject(new java.util.LinkedHashMap<>(req.body().getMap()));
        params.remove("model");
        params.remove("stream");
        String repr = "{\"protocol\":\"" + req.protocol().apisixName() + "\",\"stream\":" + req.stream()
                + ",\"model\":" + io.vertx.core.json.Json.encode(model) + ",\"effective\":" + effective
                + ",\"params\":" + SharedResources.canonical(params) + "}";
        return sha256(repr);
    }

    /** A client-chosen key ({@code X-AI-Cache-Key}): its own namespace, still split by stream or not. */
    static String customFingerprint(String key, boolean stream) {
        return sha256("custom|" + stream + "|" + key);
    }

    static String sha256(String s) {
        return Sha256.hex(s);
    }

    /** What identifies an instance's answers: provider, options, endpoint, body overrides, provider_conf (not auth). */
    static JsonObject describe(AiInstance i) {
        JsonObject d = new JsonObject().put("provider", i.provider().name()).put("options", i.options());
        Endpoint ep = i.endpoint();
        if (ep != null) {
            d.put("endpoint", (ep.ssl() ? "https://" : "http://") + ep.host() + ":" + ep.port() + ep.path()
                    + (ep.rawQuery() == null ? "" : "?" + ep.rawQuery()));
        }
        JsonObject override = i.bodyOverride().describe();
        if (override != null) {
            d.put("override", override); // changes what the provider is asked
        }
        if (i.providerConf() != null) {
            d.put("provider_conf", new JsonObject().put("project_id", i.providerConf().projectId())
                    .put("region", i.providerConf().region())
                    .put("chat_protocol", i.providerConf().chatProtocol() == null ? null
                            : i.providerConf().chatProtocol().apisixName()));
        }
        return d;
    }
}
