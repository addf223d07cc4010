package dev.aigw.plugins.airequestrewrite;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.plugins.aiproxy.AiCallException;
import dev.aigw.plugins.aiproxy.AiExecutor;
import dev.aigw.plugins.aiproxy.AiInstance;
import dev.aigw.plugins.aiproxy.AiProxyPlugin;
import dev.aigw.plugins.aiproxy.AiRequest;
import dev.aigw.plugins.aiproxy.TransportOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * APISIX's {@code ai-request-rewrite} (priority 1073, access phase): sends
 * {@code {system: prompt, user: <the client's raw body>}} as an OpenAI chat call to the configured
 * provider — through ai-proxy's providers, auth, endpoint override and pooled {@link AiExecutor}, so
 * every provider ai-proxy speaks works here; the client's headers are not sent, as APISIX 3.18 — and
 * the answer's text replaces the request body that
 * the route then proxies. Errors as APISIX: no body → 400; the LLM unreachable, a status other than
 * 200, or an answer without text → 500 (the reason is in the error log, never the key).
 */
public final class AiRequestRewritePlugin implements Plugin<AiRequestRewritePlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(AiRequestRewritePlugin.class);
    public static final String NAME = "ai-request-rewrite";
    /** An LLM answer larger than this is cut (the body it becomes is bounded too). */
    private static final long MAX_ANSWER = 8L << 20;

    /** Parsed configuration: the instance (provider, auth, options, endpoint) and its executor. */
    public record Config(String prompt, AiInstance instance, AiExecutor executor, long maxBody) {
        @Override
        public String toString() {
            return NAME + "[" + instance.name() + "]";
        }
    }

    private final AiProxyPlugin proxy = new AiProxyPlugin();
    private final String schema;

    public AiRequestRewritePlugin() {
        // ai-proxy's provider, auth, options, override and transport fields, plus the prompt (APISIX's schema)
        JsonObject s = new JsonObject(proxy.schema());
        JsonObject props = s.getJsonObject("properties");
        props.put("prompt", new JsonObject().put("type", "string"));
        props.getJsonObject("timeout").put("maximum", 60000);
        props.remove("logging");
        props.remove("max_stream_duration_ms");
        props.remove("streaming_flush_interval_ms");
        s.put("required", new JsonArray().add("prompt").add("provider").add("auth"));
        this.schema = s.encode();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 1073;
    }

    @Override
    public String schema() {
        return schema;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        AiInstance inst = AiInstance.parse(NAME + "-" + conf.getString("provider"), conf, System::getenv);
        return new Config(conf.getString("prompt"), inst, new AiExecutor(TransportOptions.from(conf), false),
                conf.getLong("max_req_body_size", 67108864L));
    }

    @Override
    public void release(Config conf) {
        conf.executor().close();
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        return ctx.readBody().recover(err -> {
            LOG.warn("failed to get request body: {}", err.getMessage());
            return Future.succeededFuture(null);
        }).compose(body -> {
            if (body == null || body.length() == 0) {
                LOG.warn("missing request body");
                ctx.exit(400, (String) null);
                return Future.succeededFuture();
            }
            JsonObject req = new JsonObject().put("messages", new JsonArray()
                    .add(new JsonObject().put("role", "system").put("content", conf.prompt()))
                    .add(new JsonObject().put("role", "user").put("content", body.toString(StandardCharsets.UTF_8))))
                    .put("stream", false);
            AiRequest call = AiRequest.of(req, false);
            return conf.executor().send(conf.instance(), ctx, call)
                    .compose(attempt -> {
                        if (attempt.status() != 200) {
                            LOG.error("LLM service returned error status: {}", attempt.status());
                            attempt.discard();
                            return Future.succeededFuture((String) null);
                        }
                        return attempt.readBody(MAX_ANSWER).map(AiRequestRewritePlugin::text);
                    }, err -> {
                        LOG.error("failed to request LLM: {}", err instanceof AiCallException e ? e.getMessage() : err.toString());
                        return Future.succeededFuture((String) null);
                    })
                    .map(text -> {
                        if (text == null) {
                            ctx.exit(500, (String) null);
                        } else {
                            ctx.body(Buffer.buffer(text));
                        }
                        return null;
                    });
        });
    }

    /** The answer's text: OpenAI chat ({@code choices[0].message.content}) or Anthropic ({@code content[0].text}). */
    static String text(Buffer raw) {
        JsonObject o;
        try {
            o = new JsonObject(raw);
        } catch (DecodeException | ClassCastException e) {
            LOG.error("failed to decode LLM response: {}", e.getMessage());
            return null;
        }
        JsonArray choices = o.getJsonArray("choices");
        if (choices != null && !choices.isEmpty() && choices.getValue(0) instanceof JsonObject c
                && c.getJsonObject("message") != null && c.getJsonObject("message").getValue("content") instanceof String s) {
            return s;
        }
        JsonArray content = o.getJsonArray("content");
        if (content != null && !content.isEmpty() && content.getValue(0) instanceof JsonObject c
                && c.getValue("text") instanceof String s) {
            return s;
        }
        LOG.error("failed to extract text from LLM response");
        return null;
    }
}
