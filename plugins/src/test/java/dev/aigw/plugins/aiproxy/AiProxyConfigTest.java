package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.provider.ProviderConf;
import dev.aigw.plugins.aiproxy.provider.Providers;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Schema and semantic validation through the registry, and the providers' default addresses. */
class AiProxyConfigTest {

    final PluginRegistry registry = PluginRegistry.of(List.<Plugin<?>>of(new AiProxyPlugin(k -> null)), null);

    String refused(String json) {
        PluginConfigException e = assertThrows(PluginConfigException.class,
                () -> registry.bind("ai-proxy", new JsonObject(json)));
        return e.getMessage();
    }

    void assertRefused(String json, String field) {
        String msg = refused(json);
        assertTrue(msg.contains(field), msg);
    }

    @Test
    void invalidConfigurationsNameTheField() {
        assertRefused("{\"provider\":\"azure-openai\",\"auth\":{}}", "override.endpoint");
        assertRefused("{\"provider\":\"openai-compatible\",\"auth\":{}}", "override.endpoint");
        assertRefused("{\"provider\":\"vertex-ai\",\"auth\":{},\"provider_conf\":{\"region\":\"r\"}}", "provider_conf");
        assertRefused("{\"provider\":\"nope\",\"auth\":{}}", "provider");
        assertRefused("{\"auth\":{}}", "provider");
        assertRefused("{\"provider\":\"openai\"}", "auth");
        assertRefused("{\"provider\":\"openai\",\"auth\":{},\"timeout\":\"soon\"}", "timeout");
        assertRefused("{\"provider\":\"openai\",\"auth\":{\"header\":{\"k\":1}}}", "header");
        assertRefused("{\"provider\":\"openai\",\"auth\":{},\"override\":{\"endpoint\":\"ftp://x\"}}", "override.endpoint");
        assertRefused("{\"provider\":\"vertex-ai\",\"auth\":{\"gcp\":{\"service_account_json\":\"{bad\"}},"
                + "\"provider_conf\":{\"project_id\":\"p\",\"region\":\"r\"}}", "service_account_json");
        assertRefused("{\"provider\":\"vertex-ai\",\"auth\":{\"gcp\":{}},"
                + "\"provider_conf\":{\"project_id\":\"p\",\"region\":\"r\"}}", "service_account_json");
    }

    @Test
    void validConfigurationsGetAPISIXDefaults() throws Exception {
        AiProxyConfig c = (AiProxyConfig) registry.bind("ai-proxy",
                new JsonObject("{\"provider\":\"openai\",\"auth\":{\"header\":{\"Authorization\":\"Bearer k\"}}}")).config();
        assertEquals(30000, c.transport().timeoutMs());
        assertTrue(c.transport().keepalive());
        assertTrue(c.transport().sslVerify());
        assertEquals(30, c.transport().keepalivePool());
        assertEquals(false, c.logSummaries());
        assertEquals("ai-proxy-openai", c.instance().name());
        assertTrue(!c.instance().toString().contains("Bearer k"));
        registry.bind("ai-proxy", new JsonObject("{\"provider\":\"vertex-ai\",\"auth\":{},"
                + "\"override\":{\"endpoint\":\"http://127.0.0.1:1/x\"}}"));
    }

    @Test
    void defaultAddresses() {
        ProviderConf none = ProviderConf.NONE;
        assertEquals("api.openai.com", Providers.byName("openai").host(none));
        assertEquals("/v1/chat/completions", Providers.byName("openai").path(AiProtocol.CHAT, none, null));
        assertEquals("/v1/embeddings", Providers.byName("openai").path(AiProtocol.EMBEDDINGS, none, null));
        assertEquals("api.deepseek.com", Providers.byName("deepseek").host(none));
        assertEquals("generativelanguage.googleapis.com", Providers.byName("gemini").host(none));
        assertEquals("/v1beta/openai/embeddings", Providers.byName("gemini").path(AiProtocol.EMBEDDINGS, none, null));
        assertEquals("api.anthropic.com", Providers.byName("anthropic").host(none));
        assertEquals("openrouter.ai", Providers.byName("openrouter").host(none));
        assertEquals("api.aimlapi.com", Providers.byName("aimlapi").host(none));
        ProviderConf pc = new ProviderConf("proj", "europe-west4");
        assertEquals("europe-west4-aiplatform.googleapis.com", Providers.byName("vertex-ai").host(pc));
        assertEquals("/v1/projects/proj/locations/europe-west4/publishers/google/models/gemini-embedding-001:predict",
                Providers.byName("vertex-ai").path(AiProtocol.VERTEX_PREDICT, pc, "gemini-embedding-001"));
        assertEquals(10, Providers.names().size()); // APISIX's enum: exactly 10
        Providers.names().forEach(n -> assertEquals(n, Providers.byName(n).name()));
    }
}
