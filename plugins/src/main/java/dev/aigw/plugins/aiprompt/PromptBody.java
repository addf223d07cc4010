package dev.aigw.plugins.aiprompt;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The client protocol of an AI request and its messages as {@code {role, content}} text, as APISIX's
 * {@code ai-protocols} offers them to the prompt plugins: detected by path, then body
 * (Anthropic Messages on {@code …/v1/messages}, OpenAI Responses on {@code …/v1/responses} with an
 * {@code input}, OpenAI chat when the body has {@code messages}, embeddings when it has {@code input}).
 */
final class PromptBody {

    /** The client protocols a prompt plugin understands; {@code PASSTHROUGH} is anything else. */
    enum Protocol { ANTHROPIC_MESSAGES, OPENAI_RESPONSES, OPENAI_CHAT, OPENAI_EMBEDDINGS, PASSTHROUGH }

    /** One message in canonical form: the role and its text parts joined by a space. */
    record Message(String role, String content) {
    }

    /** A prompt configured on a plugin ({@code prepend}, {@code append}, template messages). */
    record Prompt(String role, String content) {
        JsonObject toJson() {
            return new JsonObject().put("role", role).put("content", content);
        }

        static List<Prompt> list(JsonArray arr) {
            List<Prompt> out = new ArrayList<>();
            if (arr != null) {
                for (int i = 0; i < arr.size(); i++) {
                    JsonObject p = arr.getJsonObject(i);
                    out.add(new Prompt(p.getString("role"), p.getString("content")));
                }
            }
            return List.copyOf(out);
        }
    }

    private PromptBody() {
    }

    /** APISIX's detection order: path and body first, then body alone. */
    static Protocol detect(String path, JsonObject body) {
        if (body == null) {
            return Protocol.PASSTHROUGH;
        }
        if (path != null && path.endsWith("/v1/messages")) {
            return Protocol.ANTHROPIC_MESSAGES;
        }
        if (path != null && path.endsWith("/v1/responses") && body.getValue("input") != null) {
            return Protocol.OPENAI_RESPONSES;
        }
        if (body.getValue("messages") instanceof JsonArray) {
            return Protocol.OPENAI_CHAT;
        }
        if (body.getValue("input") != null) {
            return Protocol.OPENAI_EMBEDDINGS;
        }
        return Protocol.PASSTHROUGH;
    }

    /** The request's messages with their text; a system prompt first where the protocol has one apart. */
    static List<Message> messages(Protocol p, JsonObject body) {
        List<Message> out = new ArrayList<>();
        switch (p) {
            case ANTHROPIC_MESSAGES -> {
                if (body.getValue("system") instanceof String s) {
                    out.add(new Message("system", s));
                }
                addMessages(out, body.getValue("messages"));
            }
            case OPENAI_CHAT -> addMessages(out, body.getValue("messages"));
            case OPENAI_RESPONSES -> {
                if (body.getValue("instructions") instanceof String s) {
                    out.add(new Message("system", s));
                }
                Object input = body.getValue("input");
                if (input instanceof String s) {
                    out.add(new Message("user", s));
                } else if (input instanceof JsonArray items) {
                    for (Object item : items) {
                        String role = item instanceof JsonObject o && o.getValue("role") instanceof String r ? r : "user";
                        List<String> texts = new ArrayList<>();
                        responsesItemText(texts, item);
                        if (!texts.isEmpty()) {
                            out.add(new Message(role, String.join(" ", texts)));
                        }
                    }
                }
            }
            default -> {
            }
        }
        return out;
    }

    private static void addMessages(List<Message> out, Object messages) {
        if (!(messages instanceof JsonArray arr)) {
            return;
        }
        for (Object m : arr) {
            if (!(m instanceof JsonObject msg)) {
                continue;
            }
            List<String> texts = new ArrayList<>();
            Object content = msg.getValue("content");
            if (content instanceof String s) {
                texts.add(s);
            } else if (content instanceof JsonArray parts) {
                for (Object part : parts) {
                    if (part instanceof JsonObject o && "text".equals(o.getValue("type")) && o.getValue("text") instanceof String t) {
                        texts.add(t);
                    }
                }
            }
            if (!texts.isEmpty()) {
                out.add(new Message(msg.getValue("role") instanceof String r ? r : null, String.join(" ", texts)));
            }
        }
    }

    private static void responsesItemText(List<String> texts, Object item) {
        if (item instanceof String s) {
            texts.add(s);
            return;
        }
        if (!(item instanceof JsonObject o)) {
            return;
        }
        Object content = o.getValue("content");
        if (content instanceof String s) {
            texts.add(s);
        } else if (content instanceof JsonArray parts) {
            for (Object part : parts) {
                if (part instanceof JsonObject po && po.getValue("text") instanceof String t) {
                    texts.add(t);
                }
            }
        } else if (content == null && o.getValue("text") instanceof String t) {
            texts.add(t);
        } else if (content == null && o.getValue("output") instanceof String t) {
            texts.add(t); // a function_call_output item
        }
    }

    /**
     * Puts {@code prepend} before and {@code append} after the request's messages, the way the
     * protocol holds them: Responses folds them into {@code instructions} / {@code input} text; an
     * undetected protocol is treated as OpenAI chat (as APISIX does).
     */
    static void decorate(Protocol p, JsonObject body, List<Prompt> prepend, List<Prompt> append) {
        if (p == Protocol.OPENAI_RESPONSES) {
            if (!prepend.isEmpty()) {
                String text = joined(prepend);
                body.put("instructions", body.getValue("instructions") instanceof String s ? text + "\n" + s : text);
            }
            if (!append.isEmpty()) {
                String text = joined(append);
                Object input = body.getValue("input");
                if (input instanceof String s) {
                    body.put("input", s + "\n" + text);
                } else if (input instanceof JsonArray a) {
                    a.add(new JsonObject().put("type", "message").put("role", "user").put("content", text));
                } else {
                    body.put("input", text);
                }
            }
            return;
        }
        JsonArray old = body.getValue("messages") instanceof JsonArray a ? a : new JsonArray();
        JsonArray messages = new JsonArray(new ArrayList<>(prepend.size() + old.size() + append.size()));
        prepend.forEach(x -> messages.add(x.toJson()));
        old.forEach(messages::add);
        append.forEach(x -> messages.add(x.toJson()));
        body.put("messages", messages);
    }

    private static String joined(List<Prompt> prompts) {
        List<String> parts = new ArrayList<>(prompts.size());
        prompts.forEach(x -> parts.add(x.content()));
        return String.join("\n", parts);
    }

    /**
     * The request body as it is now (a plugin before may have replaced it) as a JSON object, from the
     * parse every AI plugin shares ({@link RequestContext#jsonBody()}); when that has none, the 400 of
     * {@link #jsonOrExit} (or the object it still reads, say after a byte-order mark) and null.
     */
    static JsonObject current(RequestContext ctx) {
        JsonObject body = ctx.jsonBody();
        return body != null ? body : jsonOrExit(ctx, ctx.body());
    }

    /**
     * The body as a JSON object, or null after answering 400 the way APISIX's prompt plugins do
     * ({@code could not get body: …} / {@code could not parse JSON request body: …}).
     */
    static JsonObject jsonOrExit(RequestContext ctx, Buffer raw) {
        if (raw == null || raw.length() == 0) {
            ctx.exit(400, new JsonObject().put("message", "could not get body: request body is empty"));
            return null;
        }
        try {
            Object v = io.vertx.core.json.Json.decodeValue(raw);
            if (v instanceof JsonObject o) {
                return o;
            }
            ctx.exit(400, new JsonObject().put("message", "could not parse JSON request body: not a JSON object"));
        } catch (DecodeException e) {
            ctx.exit(400, new JsonObject().put("message", "could not parse JSON request body: invalid JSON"));
        }
        return null;
    }
}
