package dev.aigw.plugins.aiprompt;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.plugins.aiprompt.PromptBody.Prompt;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * APISIX's {@code ai-prompt-decorator} (priority 1070, rewrite): puts the configured {@code prepend}
 * messages before the client's and the {@code append} ones after, in the request's own protocol
 * (OpenAI chat, Anthropic Messages, OpenAI Responses), so every request on the route carries, say, the
 * same system prompt whatever the client sent.
 */
public final class AiPromptDecoratorPlugin implements Plugin<AiPromptDecoratorPlugin.Config> {

    /** Parsed configuration: the messages to put before and after the client's. */
    public record Config(List<Prompt> prepend, List<Prompt> append) {
    }

    static final String PROMPTS = """
            {"type": "array", "items": {"type": "object",
              "properties": {"role": {"type": "string", "enum": ["system", "user", "assistant"]},
                             "content": {"type": "string", "minLength": 1}},
              "required": ["role", "content"]}}""";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "prepend": %1$s,
                "append": %1$s
              },
              "anyOf": [{"required": ["prepend"]}, {"required": ["append"]}, {"required": ["append", "prepend"]}]
            }
            """.formatted(PROMPTS);

    @Override
    public String name() {
        return "ai-prompt-decorator";
    }

    @Override
    public int priority() {
        return 1070;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) {
        return new Config(Prompt.list(conf.getJsonArray("prepend")), Prompt.list(conf.getJsonArray("append")));
    }

    @Override
    public Future<Void> rewrite(Config conf, RequestContext ctx) {
        return ctx.readBody().map(raw -> {
            // the body as it is now (ai-prompt-template may have replaced it), parsed once for every AI
            // plugin; handed on as an object, so ai-proxy neither parses nor the decorator serialises it
            JsonObject body = PromptBody.current(ctx);
            if (body != null) {
                PromptBody.decorate(PromptBody.detect(ctx.request().path(), body), body, conf.prepend(), conf.append());
                ctx.jsonBody(body);
            }
            return null;
        });
    }
}
