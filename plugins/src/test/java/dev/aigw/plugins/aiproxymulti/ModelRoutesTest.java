package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRoutesTest {

    @Test
    void exactPrefixAndRegexRulesInOrder() throws Exception {
        ModelRoutes r = ModelRoutes.parse(new JsonArray()
                .add("gpt-4o")
                .add(new JsonObject().put("name", "claude-*").put("model", "claude-sonnet-4-5"))
                .add(new JsonObject().put("name", "~^deepseek-(chat|reasoner)$").put("model", "ds-$1"))
                .add("~^o[0-9]"));
        assertEquals("fallback", r.resolve("gpt-4o", "fallback"), "no target: the instance's own choice");
        assertNull(r.resolve("gpt-4o-mini", "x"), "exact means exact");
        assertEquals("claude-sonnet-4-5", r.resolve("claude-3", "x"));
        assertEquals("ds-reasoner", r.resolve("deepseek-reasoner", "x"));
        assertNull(r.resolve("deepseek-coder", "x"));
        assertEquals("o3-mini", r.resolve("o3-mini", "o3-mini"));
        assertNull(r.resolve(null, "x"), "a request without a model is served only by instances without models");
    }

    @Test
    void aBadRegexIsAConfigurationError() {
        PluginConfigException e = assertThrows(PluginConfigException.class,
                () -> ModelRoutes.parse(new JsonArray().add("ok").add("~([")));
        assertTrue(e.getMessage().startsWith("models[2]: invalid regular expression"), e.getMessage());
    }
}
