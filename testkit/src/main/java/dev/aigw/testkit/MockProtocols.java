package dev.aigw.testkit;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The wire formats {@link MockLlm} speaks besides OpenAI chat, each written from the provider's
 * documentation: Anthropic Messages (JSON and the SSE event sequence of
 * docs.anthropic.com/en/docs/build-with-claude/streaming), OpenAI Responses (JSON and the
 * {@code response.*} events of platform.openai.com/docs/api-reference/responses-streaming) and Bedrock
 * Converse (JSON and the {@code application/vnd.amazon.eventstream} frames of
 * docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html and
 * docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream).
 */
final class MockProtocols {

    private MockProtocols() {
    }

    /** One server-sent event with an {@code event:} line, as Anthropic and Responses stream them. */
    static String sse(String event, JsonObject data) {
        return "event: " + event + "\ndata: " + data.encode() + "\n\n";
    }

    static String id(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    // ---------------------------------------------------------------- tool calls

    /** The first declared tool's name when the mock should call it: tools declared, and the last message is not a tool result. */
    static String toolToCall(JsonObject req, String argsJson) {
        Object declared = req.getValue("tools");
        if (declared == null && req.getValue("toolConfig") instanceof JsonObject tc) {
            declared = tc.getValue("tools"); // Bedrock Converse
        }
        if (argsJson == null || !(declared instanceof JsonArray tools) || tools.isEmpty()) {
            return null;
        }
        JsonArray msgs = req.getValue("messages") instanceof JsonArray a ? a : new JsonArray();
        if (!msgs.isEmpty() && msgs.getValue(msgs.size() - 1) instanceof JsonObject last) {
            if ("tool".equals(last.getValue("role"))) {
                return null; // OpenAI: a tool result came back
            }
            if (last.getValue("content") instanceof JsonArray blocks) {
                for (Object o : blocks) {
                    if (o instanceof JsonObject b && ("tool_result".equals(b.getValue("type")) || b.containsKey("toolResult"))) {
                        return null; // Anthropic / Bedrock: a tool result came back
                    }
                }
            }
        }
        JsonObject first = tools.getJsonObject(0);
        if (first.getValue("function") instanceof JsonObject fn) {
            return fn.getString("name");
        }
        if (first.getValue("toolSpec") instanceof JsonObject spec) {
            return spec.getString("name");
        }
        return first.getString("name");
    }

    // ---------------------------------------------------------------- Anthropic Messages

    static JsonObject anthropicUsage(int input, int output) {
        return new JsonObject().put("input_tokens", input).put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 0).put("output_tokens", output);
    }

    /** A Messages API answer: a text block, or a tool_use block for {@code tool}. */
    static JsonObject anthropicMessage(JsonObject req, String text, String tool, String args, int in, int out) {
        JsonArray content = new JsonArray();
        if (tool != null) {
            content.add(new JsonObject().put("type", "tool_use").put("id", id("toolu_")).put("name", tool)
                    .put("input", new JsonObject(args)));
        } else {
            content.add(new JsonObject().put("type", "text").put("text", text));
        }
        return new JsonObject()
                .put("id", id("msg_"))
                .put("type", "message")
                .put("role", "assistant")
                .put("model", req.getString("model", "claude-mock"))
                .put("content", content)
                .put("stop_reason", tool != null ? "tool_use" : "end_turn")
                .putNull("stop_sequence")
                .put("usage", anthropicUsage(in, out));
    }

    /** The documented event sequence: message_start, content block(s) with a ping, message_delta, message_stop. */
    static List<String> anthropicStream(JsonObject req, List<String> pieces, String tool, String args, int in, int out) {
        List<String> ev = new ArrayList<>();
        ev.add(sse("message_start", new JsonObject().put("type", "message_start").put("message", new JsonObject()
                .put("id", id("msg_")).put("type", "message").put("role", "assistant")
                .put("content", new JsonArray()).put("model", req.getString("model", "claude-mock"))
                .putNull("stop_reason").putNull("stop_sequence").put("usage", anthropicUsage(in, 1)))));
        if (tool != null) {
            ev.add(sse("content_block_start", new JsonObject().put("type", "content_block_start").put("index", 0)
                    .put("content_block", new JsonObject().put("type", "tool_use").put("id", id("toolu_"))
                            .put("name", tool).put("input", new JsonObject()))));
            ev.add(sse("ping", new JsonObject().put("type", "ping")));
            int half = args.length() / 2;
            for (String part : List.of(args.substring(0, half), args.substring(half))) {
                ev.add(sse("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", 0)
                        .put("delta", new JsonObject().put("type", "input_json_delta").put("partial_json", part))));
            }
        } else {
            ev.add(sse("content_block_start", new JsonObject().put("type", "content_block_start").put("index", 0)
                    .put("content_block", new JsonObject().put("type", "text").put("text", ""))));
            ev.add(sse("ping", new JsonObject().put("type", "ping")));
            for (String p : pieces) {
                ev.add(sse("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", 0)
                        .put("delta", new JsonObject().put("type", "text_delta").put("text", p))));
            }
        }
        ev.add(sse("content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", 0)));
        ev.add(sse("message_delta", new JsonObject().put("type", "message_delta")
                .put("delta", new JsonObject().put("stop_reason", tool != null ? "tool_use" : "end_turn").putNull("stop_sequence"))
                .put("usage", new JsonObject().put("output_tokens", out))));
        ev.add(sse("message_stop", new JsonObject().put("type", "message_stop")));
        return ev;
    }

    static JsonObject anthropicError(int status) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
        return new JsonObject().put("type", "error")
                .put("error", new JsonObject().put("type", type).put("message", "mock " + type));
    }

    /** {@code POST /v1/messages/count_tokens}: roughly a token per four characters of the messages. */
    static JsonObject countTokens(JsonObject req) {
        String text = req.getValue("messages") == null ? "" : req.getValue("messages").toString();
        return new JsonObject().put("input_tokens", Math.max(1, text.length() / 4));
    }

    /** {@code GET /v1/models}: Anthropic's list when the client speaks Anthropic, else OpenAI's. */
    static JsonObject models(boolean anthropic) {
        if (anthropic) {
            return new JsonObject().put("data", new JsonArray().add(new JsonObject().put("type", "model")
                            .put("id", "claude-mock").put("display_name", "Claude Mock")
                            .put("created_at", "2025-01-01T00:00:00Z")))
                    .put("has_more", false).put("first_id", "claude-mock").put("last_id", "claude-mock");
        }
        return new JsonObject().put("object", "list").put("data", new JsonArray().add(new JsonObject()
                .put("id", "mock-model").put("object", "model").put("created", 1700000000).put("owned_by", "mock")));
    }

    // ---------------------------------------------------------------- OpenAI Responses

    private static JsonObject response(JsonObject req, String status, JsonArray output, JsonObject usage) {
        JsonObject r = new JsonObject()
                .put("id", "resp_mock")
                .put("object", "response")
                .put("created_at", Instant.now().getEpochSecond())
                .put("status", status)
                .putNull("error")
                .putNull("incomplete_details")
                .putNull("instructions")
                .putNull("max_output_tokens")
                .put("model", req.getString("model", "mock-model"))
                .put("output", output)
                .put("parallel_tool_calls", true)
                .putNull("previous_response_id")
                .put("reasoning", new JsonObject().putNull("effort").putNull("summary"))
                .put("store", true)
                .put("temperature", 1.0)
                .put("text", new JsonObject().put("format", new JsonObject().put("type", "text")))
                .put("tool_choice", "auto")
                .put("tools", new JsonArray())
                .put("top_p", 1.0)
                .put("truncation", "disabled")
                .putNull("user")
                .put("metadata", new JsonObject());
        if (usage == null) {
            r.putNull("usage");
        } else {
            r.put("usage", usage);
        }
        return r;
    }

    private static JsonObject responsesUsage(int in, int out) {
        return new JsonObject().put("input_tokens", in)
                .put("input_tokens_details", new JsonObject().put("cached_tokens", 0))
                .put("output_tokens", out)
                .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0))
                .put("total_tokens", in + out);
    }

    private static JsonObject outputMessage(String text, String status) {
        JsonArray content = new JsonArray();
        if (text != null) {
            content.add(new JsonObject().put("type", "output_text").put("text", text).put("annotations", new JsonArray()));
        }
        return new JsonObject().put("type", "message").put("id", "msg_mock").put("status", status)
                .put("role", "assistant").put("content", content);
    }

    static JsonObject responsesAnswer(JsonObject req, String text, int in, int out) {
        return response(req, "completed", new JsonArray().add(outputMessage(text, "completed")), responsesUsage(in, out));
    }

    /** The documented event order of a streamed text answer, with sequence numbers. */
    static List<String> responsesStream(JsonObject req, List<String> pieces, String text, int in, int out) {
        List<String> ev = new ArrayList<>();
        int[] seq = {0};
        java.util.function.BiConsumer<String, JsonObject> add = (type, data) ->
                ev.add(sse(type, data.put("type", type).put("sequence_number", seq[0]++)));
        add.accept("response.created", new JsonObject().put("response", response(req, "in_progress", new JsonArray(), null)));
        add.accept("response.in_progress", new JsonObject().put("response", response(req, "in_progress", new JsonArray(), null)));
        add.accept("response.output_item.added", new JsonObject().put("output_index", 0)
                .put("item", outputMessage(null, "in_progress")));
        add.accept("response.content_part.added", new JsonObject().put("item_id", "msg_mock").put("output_index", 0)
                .put("content_index", 0).put("part", new JsonObject().put("type", "output_text").put("text", "")
                        .put("annotations", new JsonArray())));
        for (String p : pieces) {
            add.accept("response.output_text.delta", new JsonObject().put("item_id", "msg_mock").put("output_index", 0)
                    .put("content_index", 0).put("delta", p).put("logprobs", new JsonArray()));
        }
        add.accept("response.output_text.done", new JsonObject().put("item_id", "msg_mock").put("output_index", 0)
                .put("content_index", 0).put("text", text).put("logprobs", new JsonArray()));
        add.accept("response.content_part.done", new JsonObject().put("item_id", "msg_mock").put("output_index", 0)
                .put("content_index", 0).put("part", new JsonObject().put("type", "output_text").put("text", text)
                        .put("annotations", new JsonArray())));
        add.accept("response.output_item.done", new JsonObject().put("output_index", 0)
                .put("item", outputMessage(text, "completed")));
        add.accept("response.completed", new JsonObject().put("response", responsesAnswer(req, text, in, out)));
        return ev;
    }

    // ---------------------------------------------------------------- Bedrock Converse

    static JsonObject converseAnswer(String text, String tool, String args, int in, int out) {
        JsonArray content = new JsonArray();
        if (tool != null) {
            content.add(new JsonObject().put("toolUse", new JsonObject().put("toolUseId", id("tooluse_"))
                    .put("name", tool).put("input", new JsonObject(args))));
        } else {
            content.add(new JsonObject().put("text", text));
        }
        return new JsonObject()
                .put("output", new JsonObject().put("message", new JsonObject().put("role", "assistant").put("content", content)))
                .put("stopReason", tool != null ? "tool_use" : "end_turn")
                .put("usage", new JsonObject().put("inputTokens", in).put("outputTokens", out).put("totalTokens", in + out))
                .put("metrics", new JsonObject().put("latencyMs", 42));
    }

    /** The ConverseStream events, each an event-stream frame. */
    static List<Buffer> converseStream(List<String> pieces, String tool, String args, int in, int out) {
        List<Buffer> frames = new ArrayList<>();
        frames.add(frame("messageStart", new JsonObject().put("role", "assistant")));
        if (tool != null) {
            frames.add(frame("contentBlockStart", new JsonObject().put("contentBlockIndex", 0).put("start",
                    new JsonObject().put("toolUse", new JsonObject().put("toolUseId", id("tooluse_")).put("name", tool)))));
            frames.add(frame("contentBlockDelta", new JsonObject().put("contentBlockIndex", 0)
                    .put("delta", new JsonObject().put("toolUse", new JsonObject().put("input", args)))));
        } else {
            for (String p : pieces) {
                frames.add(frame("contentBlockDelta", new JsonObject().put("contentBlockIndex", 0)
                        .put("delta", new JsonObject().put("text", p))));
            }
        }
        frames.add(frame("contentBlockStop", new JsonObject().put("contentBlockIndex", 0)));
        frames.add(frame("messageStop", new JsonObject().put("stopReason", tool != null ? "tool_use" : "end_turn")));
        frames.add(frame("metadata", new JsonObject()
                .put("usage", new JsonObject().put("inputTokens", in).put("outputTokens", out).put("totalTokens", in + out))
                .put("metrics", new JsonObject().put("latencyMs", 42))));
        return frames;
    }

    /**
     * One event-stream message: total length (4 bytes), headers length (4), prelude CRC32 (4),
     * headers ({@code :event-type}, {@code :content-type}, {@code :message-type}; each a 1-byte
     * name length, the name, type 7 = string, a 2-byte value length, the value), the JSON payload,
     * and the CRC32 of everything before it (4). Big-endian.
     */
    static Buffer frame(String eventType, JsonObject payload) {
        Buffer headers = Buffer.buffer();
        header(headers, ":event-type", eventType);
        header(headers, ":content-type", "application/json");
        header(headers, ":message-type", "event");
        byte[] body = payload.put("p", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ").encode().getBytes(StandardCharsets.UTF_8);
        int total = 12 + headers.length() + body.length + 4;
        Buffer b = Buffer.buffer();
        b.appendInt(total).appendInt(headers.length());
        CRC32 crc = new CRC32();
        crc.update(b.getBytes(), 0, 8);
        b.appendInt((int) crc.getValue());
        b.appendBuffer(headers).appendBytes(body);
        CRC32 all = new CRC32();
        all.update(b.getBytes());
        b.appendInt((int) all.getValue());
        return b;
    }

    private static void header(Buffer out, String name, String value) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.appendByte((byte) n.length).appendBytes(n).appendByte((byte) 7).appendShort((short) v.length).appendBytes(v);
    }
}
