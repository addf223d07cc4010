package dev.aigw.plugins.aiprompt;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.plugins.aiprompt.PromptBody.Message;
import dev.aigw.plugins.aiprompt.PromptBody.Protocol;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * APISIX's {@code ai-prompt-guard} (priority 1072, access): checks the prompt against
 * {@code allow_patterns} (one must match, when any are set) and {@code deny_patterns} (none may match)
 * before the request reaches the provider: 400 {@code {"message":"Request doesn't match allow patterns"}}
 * or {@code {"message":"Request contains prohibited content"}}.
 *
 * <p>What is checked, as APISIX: the last message only (every message with
 * {@code match_all_conversation_history}; for the Responses API {@code instructions} and {@code input}),
 * of the user role only (every role with {@code match_all_roles}), texts joined by a space. A body that
 * is not JSON or not an AI request is handled by {@code fail_mode}: {@code skip} (default) and
 * {@code warn} let it through, {@code error} refuses it. One difference: when nothing is left to check
 * (say the last message is the assistant's), APISIX ends the request with an empty 200; aigw lets it
 * through, since there is nothing to refuse.
 */
public final class AiPromptGuardPlugin implements Plugin<AiPromptGuardPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(AiPromptGuardPlugin.class);

    /** Parsed configuration; patterns are compiled once. */
    public record Config(boolean matchAllRoles, boolean matchAllHistory, List<Pattern> allow, List<Pattern> deny,
                         String failMode) {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "match_all_roles": {"type": "boolean", "default": false},
                "match_all_conversation_history": {"type": "boolean", "default": false},
                "allow_patterns": {"type": "array", "items": {"type": "string"}, "default": []},
                "deny_patterns": {"type": "array", "items": {"type": "string"}, "default": []},
                "fail_mode": {"type": "string", "enum": ["skip", "warn", "error"], "default": "skip"}
              }
            }
            """;

    @Override
    public String name() {
        return "ai-prompt-guard";
    }

    @Override
    public int priority() {
        return 1072;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        return new Config(conf.getBoolean("match_all_roles", false),
                conf.getBoolean("match_all_conversation_history", false),
                patterns(conf.getJsonArray("allow_patterns"), "allow_pattern"),
                patterns(conf.getJsonArray("deny_patterns"), "deny_pattern"),
                conf.getString("fail_mode", "skip"));
    }

    private static List<Pattern> patterns(JsonArray arr, String what) throws PluginConfigException {
        List<Pattern> out = new ArrayList<>();
        if (arr != null) {
            for (int i = 0; i < arr.size(); i++) {
                String p = arr.getString(i);
                try {
                    out.add(Pattern.compile(p));
                } catch (PatternSyntaxException e) {
                    throw new PluginConfigException("invalid " + what + ": " + p);
                }
            }
        }
        return List.copyOf(out);
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        return ctx.readBody().map(raw -> {
            check(conf, ctx);
            return null;
        });
    }

    private void check(Config conf, RequestContext ctx) {
        // the body as it is now (after ai-prompt-decorator / -template, as APISIX's get_body), from the
        // parse every AI plugin shares; parsed apart only when that one has no object, for the reason
        JsonObject body = ctx.jsonBody();
        if (body == null) {
            Buffer raw = ctx.body();
            if (raw == null || raw.length() == 0) {
                ctx.exit(400, new JsonObject().put("message", "Empty request body"));
                return;
            }
            Object decoded;
            try {
                decoded = Json.decodeValue(raw);
            } catch (DecodeException e) {
                unsupported(conf, ctx, "request body is not valid JSON", "invalid JSON request body");
                return;
            }
            body = decoded instanceof JsonObject o ? o : null;
        }
        Protocol protocol = PromptBody.detect(ctx.request().path(), body);
        if (protocol == Protocol.PASSTHROUGH) {
            unsupported(conf, ctx, "request body does not match any supported AI protocol",
                    "Request format not recognized by ai-prompt-guard");
            return;
        }
        List<Message> messages = PromptBody.messages(protocol, body);
        if (protocol != Protocol.OPENAI_RESPONSES && !conf.matchAllHistory() && messages.size() > 1) {
            messages = messages.subList(messages.size() - 1, messages.size());
        }
        StringBuilder text = new StringBuilder();
        for (Message m : messages) {
            if (conf.matchAllRoles() || "user".equals(m.role())) {
                if (text.length() > 0) {
                    text.append(' ');
                }
                text.append(m.content());
            }
        }
        if (text.length() == 0) {
            return; // nothing to check: let it through (APISIX answers an empty 200 here)
        }
        if (!conf.allow().isEmpty() && conf.allow().stream().noneMatch(p -> p.matcher(text).find())) {
            ctx.exit(400, new JsonObject().put("message", "Request doesn't match allow patterns"));
            return;
        }
        if (conf.deny().stream().anyMatch(p -> p.matcher(text).find())) {
            ctx.exit(400, new JsonObject().put("message", "Request contains prohibited content"));
        }
    }

    /** APISIX's {@code fail_mode} for a request the guard cannot read. */
    private static void unsupported(Config conf, RequestContext ctx, String reason, String message) {
        switch (conf.failMode()) {
            case "error" -> ctx.exit(400, new JsonObject().put("message", message));
            case "warn" -> LOG.warn("ai-prompt-guard skipped: {}", reason);
            default -> LOG.debug("ai-prompt-guard skipped: {}", reason);
        }
    }
}
