package dev.aigw.plugins.aiprompt;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * APISIX's {@code ai-prompt-template} (priority 1071, rewrite): the client sends
 * {@code {"template_name": "…", <fields>}} and the route's template of that name, with each
 * <code>{{ field }}</code> filled from the request's fields, becomes the body sent upstream.
 *
 * <p>Difference from APISIX (which renders through lua-resty-template and so HTML-escapes values,
 * turning {@code <} into {@code &lt;} inside the prompt and breaking the JSON on a newline): a value is
 * written JSON-string-escaped, so any text keeps its exact characters and the body stays valid JSON.
 * The templates are compiled once per configuration.
 */
public final class AiPromptTemplatePlugin implements Plugin<AiPromptTemplatePlugin.Config> {

    /** Parsed configuration: the templates by name (the first of a name wins, as APISIX's lookup). */
    public record Config(Map<String, PromptTemplate> templates) {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "templates": {
                  "type": "array", "minItems": 1,
                  "items": {
                    "type": "object",
                    "properties": {
                      "name": {"type": "string", "minLength": 1},
                      "template": {
                        "type": "object",
                        "properties": {
                          "model": {"type": "string", "minLength": 1},
                          "messages": {"type": "array", "minItems": 1, "items": {"type": "object",
                            "properties": {"role": {"type": "string", "enum": ["system", "user", "assistant"]},
                                           "content": {"type": "string", "minLength": 1}},
                            "required": ["role", "content"]}}
                        }
                      }
                    },
                    "required": ["name", "template"]
                  }
                }
              },
              "required": ["templates"]
            }
            """;

    @Override
    public String name() {
        return "ai-prompt-template";
    }

    @Override
    public int priority() {
        return 1071;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        Map<String, PromptTemplate> templates = new HashMap<>();
        JsonArray arr = conf.getJsonArray("templates");
        for (int i = 0; i < arr.size(); i++) {
            JsonObject t = arr.getJsonObject(i);
            templates.putIfAbsent(t.getString("name"), PromptTemplate.compile(t.getJsonObject("template").encode()));
        }
        return new Config(Map.copyOf(templates));
    }

    @Override
    public Future<Void> rewrite(Config conf, RequestContext ctx) {
        return ctx.readBody().map(raw -> {
            JsonObject body = PromptBody.jsonOrExit(ctx, raw);
            if (body == null) {
                return null;
            }
            if (!(body.getValue("template_name") instanceof String name)) {
                ctx.exit(400, new JsonObject().put("message", "template name is missing in request."));
                return null;
            }
            PromptTemplate template = conf.templates().get(name);
            if (template == null) {
                ctx.exit(400, new JsonObject().put("message", "template: " + name + " not configured."));
                return null;
            }
            String rendered = template.render(body);
            try {
                new JsonObject(rendered); // a template of ours always renders valid JSON; say so if not
            } catch (DecodeException e) {
                ctx.exit(503, new JsonObject().put("message", "request template rendering: invalid JSON"));
                return null;
            }
            ctx.body(Buffer.buffer(rendered));
            return null;
        });
    }
}
