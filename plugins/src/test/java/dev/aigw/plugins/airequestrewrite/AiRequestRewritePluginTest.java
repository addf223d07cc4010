package dev.aigw.plugins.airequestrewrite;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.PluginPipeline;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** ai-request-rewrite's call to its LLM is the plugin's own: the request's variables stay the request's. */
class AiRequestRewritePluginTest {

    static final MockLlm llm = new MockLlm();

    @AfterAll
    static void stop() {
        llm.close();
    }

    @Test
    void theSideCallLeavesTheRequestsUpstreamAndLlmVariablesAlone() throws Exception {
        try (PluginPipeline gw = new PluginPipeline(new AiRequestRewritePlugin())) {
            gw.route("1", new JsonObject().put("uri", "/*").put("plugins", new JsonObject().put("ai-request-rewrite",
                    new JsonObject().put("prompt", "Rewrite it.").put("provider", "openai")
                            .put("auth", new JsonObject().put("header", new JsonObject()
                                    .put("Authorization", "Bearer sk-rewrite")))
                            .put("options", new JsonObject().put("model", "rewriter"))
                            .put("override", new JsonObject().put("endpoint", llm.url() + "/v1/chat/completions")))),
                    ctx -> { // the body the upstream is sent: the rewritten one
                        ctx.response().putHeader("content-type", "text/plain");
                        ctx.sendHead(200);
                        ctx.end(Buffer.buffer("upstream got: ").appendBuffer(ctx.body()));
                    });
            var r = gw.post("/x", "{\"name\":\"Ada\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("upstream got: Hello from the mock LLM.", r.body(), "the body was rewritten by the LLM");
            assertEquals(1, llm.count(), "the LLM was called");

            RequestContext ctx = gw.nextFinished();
            assertNull(ctx.var("llm_model"), "not an AI request: the rewrite's model is not the request's");
            assertNull(ctx.var("upstream_uri"), "the LLM is not this request's upstream");
            assertNull(ctx.var("upstream_status"));
            assertNull(ctx.var("apisix_upstream_response_time"));
        }
    }
}
