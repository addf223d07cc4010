package dev.aigw.plugins.aiproxy;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.provider.AiProvider;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.Map;

/**
 * APISIX 3.17's body overrides of an AI instance, applied to the body the provider receives (after
 * any protocol conversion): {@code override.llm_options.max_tokens}, written where the provider and
 * protocol expect it ({@link AiProvider#maxTokens}) and always winning over the client's value; then
 * {@code override.request_body.<target protocol>}, deep-merged as APISIX's {@code merge.lua} does
 * (objects merged key by key, anything else replaced whole), where the client's fields win unless
 * {@code request_body_force_override}. Parsed once per configuration.
 *
 * @param maxTokens {@code llm_options.max_tokens}, or null
 * @param patches   {@code request_body} per target protocol
 * @param force     {@code request_body_force_override}
 */
public record BodyOverride(Long maxTokens, Map<AiProtocol, JsonObject> patches, boolean force) {

    /** No override. */
    public static final BodyOverride NONE = new BodyOverride(null, Map.of(), false);

    /**
     * The schema of {@code override} (ai-proxy's, and each ai-proxy-multi instance's): APISIX's, whose
     * {@code request_body} takes one object per protocol name and nothing else.
     */
    public static final String SCHEMA;

    static {
        JsonObject perProtocol = new JsonObject();
        for (AiProtocol p : AiProtocol.values()) {
            if (p != AiProtocol.VERTEX_PREDICT) { // aigw's own name: APISIX has no such key
                perProtocol.put(p.apisixName(), new JsonObject().put("type", "object"));
            }
        }
        SCHEMA = new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("endpoint", new JsonObject().put("type", "string").put("minLength", 1))
                .put("llm_options", new JsonObject().put("type", "object").put("properties", new JsonObject()
                        .put("max_tokens", new JsonObject().put("type", "integer").put("minimum", 1)))
                        .put("additionalProperties", false))
                .put("request_body", new JsonObject().put("type", "object").put("properties", perProtocol)
                        .put("additionalProperties", false))
                .put("request_body_force_override", new JsonObject().put("type", "boolean").put("default", false)))
                .encode();
    }

    /** From an {@code override} object that passed {@link #SCHEMA} (null: none). */
    public static BodyOverride parse(JsonObject override) {
        if (override == null) {
            return NONE;
        }
        JsonObject llm = override.getJsonObject("llm_options");
        Long maxTokens = llm == null || llm.getValue("max_tokens") == null ? null : llm.getLong("max_tokens");
        Map<AiProtocol, JsonObject> patches = new EnumMap<>(AiProtocol.class);
        JsonObject rb = override.getJsonObject("request_body");
        if (rb != null) {
            for (AiProtocol p : AiProtocol.values()) {
                if (rb.getValue(p.apisixName()) instanceof JsonObject patch) {
                    patches.put(p, patch.copy());
                }
            }
        }
        if (maxTokens == null && patches.isEmpty()) {
            return NONE;
        }
        return new BodyOverride(maxTokens, Map.copyOf(patches),
                override.getBoolean("request_body_force_override", false));
    }

    /** True when {@code request_body} has a patch for {@code target}. */
    public boolean patching(AiProtocol target) {
        return patches.containsKey(target);
    }

    /**
     * Applies the overrides to {@code body}, the outgoing body for {@code target}. {@code body} may be
     * a shallow copy of the client's: a nested object is copied before it is changed.
     */
    public void apply(AiProvider provider, AiProtocol target, JsonObject body) {
        if (maxTokens != null) {
            provider.maxTokens(target, body, maxTokens);
        }
        JsonObject patch = patches.get(target);
        if (patch != null) {
            merge(body, patch, force);
        }
    }

    /** APISIX's {@code deep_merge}: objects on both sides recurse (whatever {@code force}). */
    private static void merge(JsonObject target, JsonObject patch, boolean force) {
        for (Map.Entry<String, Object> e : patch) {
            Object mine = target.getValue(e.getKey());
            Object theirs = e.getValue();
            if (mine instanceof JsonObject m && theirs instanceof JsonObject t) {
                JsonObject copy = m.copy();
                merge(copy, t, force);
                target.put(e.getKey(), copy);
            } else if (!target.containsKey(e.getKey()) || force) { // a client's explicit null stays, as in Lua
                target.put(e.getKey(), theirs instanceof JsonObject o ? o.copy()
                        : theirs instanceof JsonArray a ? a.copy() : theirs);
            }
        }
    }

    /** What the overrides are, for a cache key (null when none). */
    public JsonObject describe() {
        if (this == NONE) {
            return null;
        }
        JsonObject rb = new JsonObject();
        patches.forEach((p, patch) -> rb.put(p.apisixName(), patch));
        return new JsonObject().put("max_tokens", maxTokens).put("request_body", rb).put("force", force);
    }
}
