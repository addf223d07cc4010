package dev.aigw.plugins.aiproxy.translator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the translators from OpenAI chat to a content-block API ({@link OpenAiChatToAnthropic},
 * {@link OpenAiChatToBedrock}) share: reading the OpenAI request (system text, messages as blocks,
 * tool calls and tool results, stop sequences, functions, tool choice) and writing the OpenAI answer
 * (tool calls, the assistant message, finish reasons, error objects, the chunk stream). Each provider
 * names its blocks through a {@link Blocks} dialect; the walk over the conversation is written once.
 */
final class ChatToBlocks {

    private ChatToBlocks() {
    }

    // ------------------------------------------------------------------ request

    /** How a provider spells the blocks of a message. */
    interface Blocks {
        /** A non-empty text block. */
        JsonObject text(String text);

        /** One OpenAI content part ({@code text}, {@code image_url}) as a block, or null to drop it. */
        JsonObject part(JsonObject part);

        /** An assistant's tool call (OpenAI {@code tool_calls[]}) as a block; id and name as the client sent them. */
        JsonObject toolUse(Object id, Object name, JsonObject input);

        /** A {@code role: tool} message as a tool-result block, answering {@code toolCallId}. */
        JsonObject toolResult(String toolCallId, Object content);
    }

    /** The system and developer texts (non-empty, in order) and the other messages as provider messages. */
    record Conversation(List<String> system, JsonArray messages) {
    }

    /**
     * Walks OpenAI's {@code messages}: system and developer messages → {@code system}; consecutive
     * {@code role: tool} messages → one user message of tool results; user and assistant content
     * and tool calls → blocks; a message left without blocks is dropped (both providers refuse
     * empty content).
     */
    static Conversation conversation(Object messagesValue, Blocks blocks) throws TranslationException {
        if (!(messagesValue instanceof JsonArray messages) || messages.isEmpty()) {
            throw new TranslationException(400, "missing messages");
        }
        List<String> system = new ArrayList<>();
        JsonArray msgs = new JsonArray();
        JsonArray pendingResults = null;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject msg) || !(msg.getValue("role") instanceof String role)) {
                throw new TranslationException(400, "invalid message at index " + (i + 1));
            }
            if ("tool".equals(role)) {
                if (pendingResults == null) {
                    pendingResults = new JsonArray();
                    msgs.add(new JsonObject().put("role", "user").put("content", pendingResults));
                }
                pendingResults.add(blocks.toolResult(msg.getValue("tool_call_id") instanceof String s ? s : "",
                        msg.getValue("content")));
                continue;
            }
            pendingResults = null;
            if ("system".equals(role) || "developer".equals(role)) {
                String t = text(msg.getValue("content"));
                if (!t.isEmpty()) {
                    system.add(t);
                }
                continue;
            }
            JsonArray out = new JsonArray();
            Object content = msg.getValue("content");
            if (content instanceof String s) {
                if (!s.isEmpty()) {
                    out.add(blocks.text(s));
                }
            } else if (content instanceof JsonArray parts) {
                out.addAll(parts(parts, blocks));
            }
            if ("assistant".equals(role) && msg.getValue("tool_calls") instanceof JsonArray calls) {
                for (Object co : calls) {
                    if (co instanceof JsonObject tc && tc.getValue("function") instanceof JsonObject fn) {
                        JsonObject input = new JsonObject();
                        if (fn.getValue("arguments") instanceof String args && !args.isBlank()) {
                            try {
                                input = new JsonObject(args);
                            } catch (RuntimeException e) {
                                throw new TranslationException(400, "invalid tool call arguments at message index " + (i + 1));
                            }
                        }
                        out.add(blocks.toolUse(tc.getValue("id"), fn.getValue("name"), input));
                    }
                }
            }
            if (!out.isEmpty()) {
                msgs.add(new JsonObject().put("role", "assistant".equals(role) ? "assistant" : "user").put("content", out));
            }
        }
        return new Conversation(List.copyOf(system), msgs);
    }

    /** The content parts the dialect keeps, as blocks. */
    static JsonArray parts(JsonArray parts, Blocks blocks) {
        JsonArray out = new JsonArray();
        for (Object po : parts) {
            if (po instanceof JsonObject p) {
                JsonObject b = blocks.part(p);
                if (b != null) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** A message's content as plain text: the string, or its text parts joined. */
    static String text(Object content) {
        if (content instanceof String s) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        if (content instanceof JsonArray parts) {
            for (Object o : parts) {
                if (o instanceof JsonObject p && "text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
                    sb.append(t);
                }
            }
        }
        return sb.toString();
    }

    /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
    static Long maxTokens(JsonObject in) {
        return in.getValue("max_completion_tokens") instanceof Number n ? Long.valueOf(n.longValue())
                : in.getValue("max_tokens") instanceof Number n2 ? Long.valueOf(n2.longValue()) : null;
    }

    /** OpenAI's {@code stop} (a string or an array) as a list of stop sequences, or null. */
    static JsonArray stopSequences(Object stop) {
        if (stop instanceof String s) {
            return new JsonArray().add(s);
        }
        return stop instanceof JsonArray a ? a.copy() : null;
    }

    /** One declared function; {@code parameters} defaults to an object schema. */
    record Function(String name, String description, JsonObject parameters) {
    }

    /** The named functions of OpenAI's {@code tools}, in order. */
    static List<Function> functions(Object tools) {
        List<Function> out = new ArrayList<>();
        if (tools instanceof JsonArray a) {
            for (Object o : a) {
                if (o instanceof JsonObject t && t.getValue("function") instanceof JsonObject fn
                        && fn.getValue("name") instanceof String name) {
                    out.add(new Function(name, fn.getValue("description") instanceof String d ? d : null,
                            fn.getValue("parameters") instanceof JsonObject p ? p : new JsonObject().put("type", "object")));
                }
            }
        }
        return out;
    }

    /**
     * OpenAI's {@code tool_choice} as {@code {"type": "auto"|"any"|"none"|"tool", "name"?}} (Anthropic's
     * form; {@code required} is {@code any}), or null when absent or unknown.
     */
    static JsonObject toolChoice(Object tc) {
        if ("auto".equals(tc)) {
            return new JsonObject().put("type", "auto");
        }
        if ("required".equals(tc)) {
            return new JsonObject().put("type", "any");
        }
        if ("none".equals(tc)) {
            return new JsonObject().put("type", "none");
        }
        if (tc instanceof JsonObject o && o.getValue("function") instanceof JsonObject f && f.getValue("name") instanceof String n) {
            return new JsonObject().put("type", "tool").put("name", n);
        }
        return null;
    }

    // ------------------------------------------------------------------ answer

    /** A provider's stop reason through {@code map}; unknown or absent is {@code stop}. */
    static String finishReason(Map<String, String> map, Object reason) {
        return reason instanceof String s ? map.getOrDefault(s, "stop") : "stop";
    }

    /** A provider's tool use as an OpenAI {@code tool_calls[]} entry (arguments as JSON text). */
    static JsonObject toolCall(Object id, Object name, Object input) {
        return new JsonObject().put("id", id).put("type", "function")
                .put("function", new JsonObject().put("name", name)
                        .put("arguments", input instanceof JsonObject i ? i.encode() : "{}"));
    }

    /** The answer's assistant message: content null when only tool calls came back, as OpenAI does. */
    static JsonObject assistantMessage(CharSequence text, CharSequence reasoning, JsonArray calls) {
        JsonObject message = new JsonObject().put("role", "assistant");
        if (text.isEmpty() && !calls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text.toString());
        }
        if (reasoning != null && !reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!calls.isEmpty()) {
            message.put("tool_calls", calls);
        }
        message.putNull("refusal");
        return message;
    }

    /** A whole {@code chat.completion} with one choice. */
    static JsonObject completion(String id, long created, String model, JsonObject message, String finishReason,
                                 JsonObject usage) {
        return new JsonObject().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model)
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("message", message)
                        .putNull("logprobs").put("finish_reason", finishReason)))
                .put("usage", usage);
    }

    /** OpenAI's error object. */
    static JsonObject error(String message, String type) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type)
                .putNull("param").putNull("code"));
    }

    // ------------------------------------------------------------------ stream

    /**
     * The {@code chat.completion.chunk} stream one answer writes: the id, creation time and model
     * every chunk repeats, the provider's tool blocks numbered as OpenAI tool call indexes (at most
     * {@link Translator#MAX_TOOL_CALLS}), the usage chunk only when the client asked for it.
     */
    static final class Chunks {
        String id;
        final long created = System.currentTimeMillis() / 1000;
        String model;
        boolean includeUsage;
        private final Map<Integer, Integer> toolIndex = new HashMap<>();

        Chunks(String id) {
            this.id = id;
        }

        /** One chunk with {@code delta}; {@code finishReason} null while the answer goes on. */
        void chunk(Buffer out, JsonObject delta, String finishReason) {
            JsonObject choice = new JsonObject().put("index", 0).put("delta", delta).putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            JsonObject c = head().put("choices", new JsonArray().add(choice));
            if (includeUsage) {
                c.putNull("usage");
            }
            SseTranslator.emit(out, null, c);
        }

        /** A tool call starts at the provider's block {@code blockIndex}; ignored past the cap. */
        void toolStart(Buffer out, int blockIndex, Object callId, Object name) {
            if (toolIndex.size() >= Translator.MAX_TOOL_CALLS) {
                return;
            }
            int ti = toolIndex.size();
            toolIndex.put(blockIndex, ti);
            chunk(out, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", ti)
                    .put("id", callId).put("type", "function")
                    .put("function", new JsonObject().put("name", name).put("arguments", "")))), null);
        }

        /** More argument text for the tool call started at {@code blockIndex}; ignored for an unknown block. */
        void toolArguments(Buffer out, Object blockIndex, String arguments) {
            Integer ti = blockIndex instanceof Number n ? toolIndex.get(n.intValue()) : null;
            if (ti != null) {
                chunk(out, new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
                        .put("index", ti).put("function", new JsonObject().put("arguments", arguments)))), null);
            }
        }

        /** The usage chunk (when the client asked for it and there is a usage), then {@code [DONE]}. */
        void end(Buffer out, JsonObject usage) {
            if (includeUsage && usage != null) {
                SseTranslator.emit(out, null, head().put("choices", new JsonArray()).put("usage", usage));
            }
            out.appendString("data: [DONE]\n\n");
        }

        /** An error event, then {@code [DONE]}. */
        void error(Buffer out, JsonObject error) {
            SseTranslator.emit(out, null, error);
            out.appendString("data: [DONE]\n\n");
        }

        private JsonObject head() {
            return new JsonObject().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                    .put("model", model);
        }
    }
}
