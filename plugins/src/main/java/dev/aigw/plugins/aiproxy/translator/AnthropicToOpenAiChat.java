package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.gateway.crypto.Sha256;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Anthropic Messages client to an OpenAI chat provider: APISIX's
 * {@code converters/anthropic-messages-to-openai-chat.lua}, rule for rule.
 *
 * <p>Request (a whitelist: unknown Anthropic fields never reach the provider): {@code system} →
 * leading system message; {@code max_tokens} → {@code max_completion_tokens}; {@code stop_sequences}
 * → {@code stop}; {@code thinking} → {@code reasoning_effort}; tools → functions (built-in tools
 * dropped, names sanitised to {@code [a-zA-Z0-9_-]} ≤ 64 as {@code <55 chars>_<8 hex sha256>}, the
 * reverse map kept to restore them); {@code tool_use} → {@code tool_calls}; {@code tool_result} →
 * {@code role: tool} messages right after; images and documents → {@code image_url} data URIs;
 * thinking blocks dropped. Answer: a {@code message} with thinking, text and {@code tool_use} blocks,
 * stop reasons mapped, usage with cached tokens apart; a stream as Anthropic's full event sequence
 * ({@code message_start}, {@code content_block_*}, {@code message_delta}, {@code message_stop}),
 * the final {@code message_delta} waiting for OpenAI's trailing usage chunk; errors as Anthropic
 * error objects.
 */
public final class AnthropicToOpenAiChat extends SseTranslator {

    private static final List<String> BUILTIN_TOOL_PREFIXES =
            List.of("computer_", "bash_", "text_editor_", "web_search", "code_execution_");
    private static final int TOOL_NAME_MAX_LEN = 64;
    private static final int TOOL_NAME_HASH_LEN = 8;
    private static final int TOOL_NAME_PREFIX_LEN = TOOL_NAME_MAX_LEN - TOOL_NAME_HASH_LEN - 1;
    private static final Pattern NOT_NAME_CHAR = Pattern.compile("[^a-zA-Z0-9_-]");
    private static final Pattern CCH = Pattern.compile(" ?cch=[^;]*;?");
    private static final Pattern EDGE = Pattern.compile("^[; ]+|[; ]+$");
    private static final String BILLING_PREFIX = "x-anthropic-billing-header:";

    static final Map<String, String> STOP_REASONS = Map.of(
            "stop", "end_turn", "length", "max_tokens", "content_filter", "end_turn",
            "tool_calls", "tool_use", "function_call", "tool_use");

    /** openai name → original, for the tools that had to be renamed. */
    private final Map<String, String> reverseNames = new HashMap<>();
    private String model;

    // stream state
    private boolean started;
    private boolean done;
    private int nextIndex;
    private int openBlock = -1;
    private String openType;
    private final Map<Integer, Integer> toolBlocks = new HashMap<>();
    private JsonObject pendingDelta;

    public AnthropicToOpenAiChat() {
        super(AiProtocol.ANTHROPIC_MESSAGES, AiProtocol.CHAT);
    }

    // ------------------------------------------------------------------ request

    @Override
    public JsonObject request(JsonObject in, boolean clientAskedUsage) throws TranslationException {
        if (!(in.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw new TranslationException(400, "missing messages");
        }
        JsonObject out = new JsonObject();
        if (in.getValue("model") instanceof String m) {
            out.put("model", m);
            model = m;
        }
        if (in.getValue("stream") instanceof Boolean s) {
            out.put("stream", s);
            if (s) {
                out.put("stream_options", new JsonObject().put("include_usage", true));
            }
        }
        copy(in, "max_tokens", out, "max_completion_tokens");
        copy(in, "temperature", out, "temperature");
        copy(in, "top_p", out, "top_p");
        if (in.getValue("stop_sequences") instanceof JsonArray stop) {
            out.put("stop", stop.copy());
        }
        if (in.getValue("thinking") != null) {
            String effort = reasoningEffort(in.getValue("thinking"), in.getValue("output_config"));
            if (effort != null) {
                out.put("reasoning_effort", effort);
            }
        }
        if (in.getValue("tool_choice") != null) {
            Object tc = toolChoice(in.getValue("tool_choice"));
            if (tc != null) {
                out.put("tool_choice", tc);
            }
            if (in.getValue("tool_choice") instanceof JsonObject t
                    && Boolean.TRUE.equals(t.getValue("disable_parallel_tool_use"))) {
                out.put("parallel_tool_calls", false);
            }
        }
        Object format = in.getValue("output_format");
        if (!(format instanceof JsonObject f) || f.isEmpty()) {
            format = in.getValue("output_config") instanceof JsonObject oc ? oc.getValue("format") : null;
        }
        if (format instanceof JsonObject f && "json_schema".equals(f.getValue("type"))
                && f.getValue("schema") instanceof JsonObject schema && !schema.isEmpty()) {
            JsonObject s = schema.copy(); // the schema belongs to the client's body
            strictSchema(s);
            out.put("response_format", new JsonObject().put("type", "json_schema").put("json_schema",
                    new JsonObject().put("name", "structured_output").put("schema", s).put("strict", true)));
        }
        if (in.getValue("metadata") instanceof JsonObject md && md.getValue("user_id") instanceof String u) {
            out.put("user", u);
        }
        if (in.getValue("service_tier") instanceof String st) {
            out.put("service_tier", st);
        }

        if (in.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()) {
            JsonArray fns = new JsonArray();
            Map<String, String> declared = new HashMap<>();
            for (Object o : tools) {
                if (!(o instanceof JsonObject tool) || builtin(tool)
                        || !(tool.getValue("name") instanceof String name) || name.isEmpty()) {
                    continue;
                }
                String oai = openAiName(name);
                declared.put(name, oai);
                JsonObject fn = new JsonObject().put("name", oai);
                if (tool.getValue("description") != null) {
                    fn.put("description", tool.getValue("description"));
                }
                if (tool.getValue("input_schema") != null) {
                    fn.put("parameters", tool.getValue("input_schema"));
                }
                fns.add(new JsonObject().put("type", "function").put("function", fn));
            }
            if (!fns.isEmpty()) {
                out.put("tools", fns);
            }
            if (out.getValue("tool_choice") instanceof JsonObject tc && tc.getValue("function") instanceof JsonObject f
                    && f.getValue("name") instanceof String n) {
                f.put("name", declared.getOrDefault(n, n));
            }
        }

        JsonArray msgs = new JsonArray();
        JsonObject sys = system(in.getValue("system"));
        if (sys != null) {
            msgs.add(sys);
        }
        for (int i = 0; i < messages.size(); i++) {
            convertMessage(messages.getValue(i), i + 1, msgs);
        }
        out.put("messages", msgs);
        if (!out.containsKey("tools")) {
            out.remove("tool_choice");
            out.remove("parallel_tool_calls");
        }
        return out;
    }

    private void convertMessage(Object o, int index, JsonArray msgs) throws TranslationException {
        if (!(o instanceof JsonObject msg) || !(msg.getValue("role") instanceof String role)) {
            throw new TranslationException(400, "invalid message at index " + index);
        }
        Object content = msg.getValue("content");
        if (content instanceof String s) {
            msgs.add(new JsonObject().put("role", role).put("content", s));
            return;
        }
        if (!(content instanceof JsonArray blocks)) {
            throw new TranslationException(400, "invalid message content at index " + index);
        }
        JsonArray toolCalls = new JsonArray();
        List<JsonObject> toolResults = new ArrayList<>();
        JsonArray parts = new JsonArray();
        for (Object bo : blocks) {
            if (!(bo instanceof JsonObject block)) {
                continue;
            }
            Object type = block.getValue("type");
            if ("text".equals(type) && block.getValue("text") instanceof String t) {
                parts.add(new JsonObject().put("type", "text").put("text", t));
            } else if ("image".equals(type) || "document".equals(type)) {
                JsonObject media = media(block);
                if (media != null) {
                    parts.add(media);
                }
            } else if ("tool_use".equals(type)) {
                if (block.getValue("id") instanceof String id && block.getValue("name") instanceof String name) {
                    Object input = block.getValue("input");
                    toolCalls.add(new JsonObject().put("id", id).put("type", "function").put("function",
                            new JsonObject().put("name", openAiName(name))
                                    .put("arguments", input == null ? "{}" : encode(input))));
                }
            } else if ("tool_result".equals(type)) {
                if (block.getValue("tool_use_id") instanceof String id) {
                    toolResults.add(new JsonObject().put("role", "tool").put("tool_call_id", id)
                            .put("content", toolResultContent(block.getValue("content"))));
                }
            }
            // thinking / redacted_thinking: Chat Completions has nothing to take past reasoning as input
        }
        if (!toolResults.isEmpty()) {
            // every tool message must follow the assistant message with the matching tool_calls
            toolResults.forEach(msgs::add);
            if (!parts.isEmpty()) {
                msgs.add(new JsonObject().put("role", role).put("content", parts));
            }
            return;
        }
        JsonObject m = new JsonObject().put("role", role);
        if (!toolCalls.isEmpty()) {
            m.put("tool_calls", toolCalls);
            String text = concatText(parts);
            if (!text.isEmpty()) {
                m.put("content", text);
            }
        } else if (parts.isEmpty()) {
            m.put("content", "");
        } else if ("assistant".equals(role)) {
            m.put("content", concatText(parts)); // an assistant turn only carries text
        } else {
            m.put("content", parts);
        }
        msgs.add(m);
    }

    private static Object toolResultContent(Object c) {
        if (c instanceof String s) {
            return s;
        }
        if (!(c instanceof JsonArray arr)) {
            return "";
        }
        StringBuilder texts = new StringBuilder();
        JsonArray parts = new JsonArray();
        boolean media = false;
        for (Object o : arr) {
            if (o instanceof JsonObject sub) {
                if ("text".equals(sub.getValue("type")) && sub.getValue("text") instanceof String t) {
                    texts.append(t);
                    parts.add(new JsonObject().put("type", "text").put("text", t));
                } else if ("image".equals(sub.getValue("type")) || "document".equals(sub.getValue("type"))) {
                    JsonObject mp = media(sub);
                    if (mp != null) {
                        parts.add(mp);
                        media = true;
                    }
                }
            }
        }
        return media ? parts : texts.toString();
    }

    private static JsonObject media(JsonObject block) {
        if (!(block.getValue("source") instanceof JsonObject src)) {
            return null;
        }
        String url = null;
        if ("base64".equals(src.getValue("type")) && src.getValue("data") instanceof String data && !data.isEmpty()) {
            String mt = src.getValue("media_type") instanceof String s ? s
                    : "image".equals(block.getValue("type")) ? "image/png" : "application/pdf";
            url = "data:" + mt + ";base64," + data;
        } else if ("image".equals(block.getValue("type")) && "url".equals(src.getValue("type"))
                && src.getValue("url") instanceof String u && !u.isEmpty()) {
            url = u;
        }
        return url == null ? null
                : new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", url));
    }

    private static String concatText(JsonArray parts) {
        StringBuilder sb = new StringBuilder();
        for (Object o : parts) {
            if (o instanceof JsonObject p && "text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
                sb.append(t);
            }
        }
        return sb.toString();
    }

    private static JsonObject system(Object system) {
        String text;
        if (system instanceof String s) {
            text = s;
        } else if (system instanceof JsonArray blocks) {
            StringBuilder sb = new StringBuilder();
            for (Object o : blocks) {
                if (o instanceof JsonObject b && "text".equals(b.getValue("type")) && b.getValue("text") instanceof String t) {
                    String cleaned = stripCch(t);
                    if (cleaned != null) {
                        sb.append(cleaned);
                    }
                }
            }
            text = sb.toString();
        } else {
            return null;
        }
        return text.isEmpty() ? null : new JsonObject().put("role", "system").put("content", text);
    }

    /** Drops the per-request {@code cch=} entries of Claude Code's billing header line (they defeat provider caching). */
    static String stripCch(String text) {
        if (text.length() < BILLING_PREFIX.length()
                || !text.substring(0, BILLING_PREFIX.length()).toLowerCase(Locale.ROOT).equals(BILLING_PREFIX)) {
            return text;
        }
        String v = CCH.matcher(text.substring(BILLING_PREFIX.length())).replaceAll("");
        v = EDGE.matcher(v).replaceAll("");
        return v.isEmpty() ? null : BILLING_PREFIX + v;
    }

    private static boolean builtin(JsonObject tool) {
        if (!(tool.getValue("type") instanceof String t)) {
            return false;
        }
        for (String p : BUILTIN_TOOL_PREFIXES) {
            if (t.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** The name a tool has on the OpenAI side; a renamed one is remembered to restore it in the answer. */
    String openAiName(String name) {
        String sanitized = NOT_NAME_CHAR.matcher(name).replaceAll("_");
        if (sanitized.equals(name) && name.length() <= TOOL_NAME_MAX_LEN) {
            return name;
        }
        String renamed = sanitized.substring(0, Math.min(sanitized.length(), TOOL_NAME_PREFIX_LEN)) + "_"
                + sha256Hex(name).substring(0, TOOL_NAME_HASH_LEN);
        reverseNames.put(renamed, name);
        return renamed;
    }

    private String originalName(String oai) {
        return reverseNames.getOrDefault(oai, oai);
    }

    private static String sha256Hex(String s) {
        return Sha256.hex(s);
    }

    private static Object toolChoice(Object tc) {
        if (!(tc instanceof JsonObject t)) {
            return null;
        }
        Object type = t.getValue("type");
        if ("auto".equals(type)) {
            return "auto";
        }
        if ("any".equals(type)) {
            return "required";
        }
        if ("none".equals(type)) {
            return "none";
        }
        if ("tool".equals(type) && t.getValue("name") instanceof String n) {
            return new JsonObject().put("type", "function").put("function", new JsonObject().put("name", n));
        }
        return null;
    }

    /** APISIX's (and LiteLLM's) buckets: adaptive → {@code output_config.effort} or medium; enabled → by budget. */
    static String reasoningEffort(Object thinking, Object outputConfig) {
        if (!(thinking instanceof JsonObject t)) {
            return null;
        }
        if ("adaptive".equals(t.getValue("type"))) {
            if (outputConfig instanceof JsonObject oc && oc.getValue("effort") instanceof String e && !e.isEmpty()) {
                return e;
            }
            return "medium";
        }
        if (!"enabled".equals(t.getValue("type"))) {
            return null;
        }
        long budget = t.getValue("budget_tokens") instanceof Number n ? n.longValue() : 0;
        return budget >= 4096 ? "high" : budget >= 2048 ? "medium" : budget >= 1024 ? "low" : "minimal";
    }

    /** OpenAI strict mode: every object closed, every property required (recursively). */
    static void strictSchema(Object node) {
        if (!(node instanceof JsonObject s)) {
            return;
        }
        if ("object".equals(s.getValue("type")) && s.getValue("properties") instanceof JsonObject props) {
            s.put("additionalProperties", false);
            s.put("required", new JsonArray(new ArrayList<>(new TreeSet<>(props.fieldNames()))));
            for (String k : props.fieldNames()) {
                strictSchema(props.getValue(k));
            }
        }
        strictSchema(s.getValue("items"));
        for (String k : List.of("anyOf", "oneOf", "allOf")) {
            if (s.getValue(k) instanceof JsonArray a) {
                a.forEach(AnthropicToOpenAiChat::strictSchema);
            }
        }
        for (String k : List.of("$defs", "definitions")) {
            if (s.getValue(k) instanceof JsonObject defs) {
                defs.forEach(e -> strictSchema(e.getValue()));
            }
        }
    }

    private static void copy(JsonObject in, String from, JsonObject out, String to) {
        Object v = in.getValue(from);
        if (v != null) {
            out.put(to, v);
        }
    }

    private static String encode(Object v) {
        return v instanceof JsonObject o ? o.encode() : v instanceof JsonArray a ? a.encode()
                : new JsonArray().add(v).encode().substring(1).replaceFirst("]$", "");
    }

    @Override
    public void headers(MultiMap headers) {
        List<String> drop = new ArrayList<>();
        for (String name : headers.names()) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.startsWith("anthropic-") || n.startsWith("x-stainless-")) {
                drop.add(name);
            }
        }
        drop.forEach(headers::remove);
    }

    // ------------------------------------------------------------------ answer

    @Override
    public Buffer response(Buffer body, Observation obs) throws TranslationException {
        JsonObject res = parse(body);
        if (res == null) {
            throw new TranslationException(502, "invalid response from the LLM server");
        }
        if (res.getValue("error") != null) {
            return anthropicError(res).toBuffer();
        }
        TokenUsage u = TokenUsage.fromOpenAi(res.getValue("usage"));
        obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
        obs.model(res.getValue("model") instanceof String m ? m : null);
        if (!(res.getValue("choices") instanceof JsonArray choices) || choices.isEmpty()
                || !(choices.getValue(0) instanceof JsonObject choice)) {
            throw new TranslationException(502, "no choices in response");
        }
        JsonArray content = new JsonArray();
        JsonObject msg = choice.getValue("message") instanceof JsonObject m ? m : new JsonObject();
        Object reasoning = msg.getValue("reasoning_content") != null ? msg.getValue("reasoning_content") : msg.getValue("reasoning");
        if (reasoning instanceof String r && !r.isEmpty()) {
            content.add(new JsonObject().put("type", "thinking").put("thinking", r).put("signature", ""));
        }
        if (msg.getValue("content") instanceof String t && !t.isEmpty()) {
            content.add(new JsonObject().put("type", "text").put("text", t));
            obs.text(t);
        }
        if (msg.getValue("tool_calls") instanceof JsonArray calls) {
            for (Object o : calls) {
                if (!(o instanceof JsonObject tc)) {
                    continue;
                }
                JsonObject fn = tc.getValue("function") instanceof JsonObject f ? f : new JsonObject();
                JsonObject input = new JsonObject();
                if (fn.getValue("arguments") instanceof String args) {
                    try {
                        input = new JsonObject(args);
                    } catch (RuntimeException e) {
                        // malformed arguments must not lose the text already collected: an empty input
                    }
                }
                content.add(new JsonObject().put("type", "tool_use")
                        .put("id", tc.getValue("id") instanceof String id ? id : "")
                        .put("name", originalName(fn.getValue("name") instanceof String n ? n : ""))
                        .put("input", input));
            }
        }
        if (content.isEmpty()) {
            content.add(new JsonObject().put("type", "text").put("text", ""));
        }
        Object fr = choice.getValue("finish_reason");
        JsonObject out = new JsonObject()
                .put("id", res.getValue("id"))
                .put("type", "message")
                .put("role", "assistant")
                .put("model", model != null ? model : res.getValue("model"))
                .put("content", content)
                .put("stop_reason", fr instanceof String f ? STOP_REASONS.getOrDefault(f, "end_turn") : "end_turn")
                .putNull("stop_sequence")
                .put("usage", anthropicUsage(res.getValue("usage")));
        return out.toBuffer();
    }

    /**
     * OpenAI usage → Anthropic's: input excludes the cached prompt tokens, which are reported apart
     * ({@code cache_read_input_tokens}); both cache fields are always present, as Anthropic sends them.
     */
    static JsonObject anthropicUsage(Object usage) {
        JsonObject out = new JsonObject().put("input_tokens", 0L).put("cache_creation_input_tokens", 0L)
                .put("cache_read_input_tokens", 0L).put("output_tokens", 0L);
        if (!(usage instanceof JsonObject u)) {
            return out;
        }
        long prompt = AnthropicNative.num(u.getValue("prompt_tokens"));
        long cached = 0;
        if (u.getValue("prompt_tokens_details") instanceof JsonObject d) {
            cached = AnthropicNative.num(d.getValue("cached_tokens"));
            out.put("cache_creation_input_tokens", AnthropicNative.num(d.getValue("cache_creation_input_tokens")));
        }
        return out.put("input_tokens", Math.max(0, prompt - cached))
                .put("cache_read_input_tokens", cached)
                .put("output_tokens", AnthropicNative.num(u.getValue("completion_tokens")));
    }

    /** An OpenAI error body as Anthropic's {@code {"type":"error","error":{"type","message"}}}. */
    static JsonObject anthropicError(JsonObject res) {
        Object err = res.getValue("error");
        String type = "api_error";
        String message = "";
        if (err instanceof JsonObject e) {
            if (e.getValue("type") instanceof String t) {
                type = t;
            } else if (e.getValue("code") != null) {
                type = String.valueOf(e.getValue("code"));
            }
            message = e.getValue("message") instanceof String m ? m : "";
        } else if (err instanceof String s) {
            message = s;
        }
        return new JsonObject().put("type", "error")
                .put("error", new JsonObject().put("type", type).put("message", message));
    }

    @Override
    public Buffer error(int status, Buffer body) {
        JsonObject res = parse(body);
        if (res != null && res.getValue("error") != null) {
            return anthropicError(res).toBuffer();
        }
        String text = body == null ? "" : body.toString(StandardCharsets.UTF_8);
        return new JsonObject().put("type", "error").put("error", new JsonObject()
                .put("type", status == 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error")
                .put("message", text)).toBuffer();
    }

    // ------------------------------------------------------------------ stream

    @Override
    protected void onEvent(SseEvent ev, Observation obs, Buffer out) {
        if ("ping".equals(ev.event())) {
            emit(out, "ping", new JsonObject().put("type", "ping"));
            return;
        }
        String d = ev.data();
        if (d != null && d.trim().equals("[DONE]")) {
            flush(out);
            return;
        }
        JsonObject chunk = json(ev);
        if (chunk == null) {
            return;
        }
        if (chunk.getValue("error") != null) {
            // an error mid-stream: Anthropic's error event, then nothing more
            emit(out, "error", anthropicError(chunk));
            done = true;
            pendingDelta = null;
            return;
        }
        obs.usage(TokenUsage.fromOpenAi(chunk.getValue("usage")));
        obs.model(chunk.getValue("model") instanceof String m ? m : null);
        convertChunk(chunk, obs, out);
    }

    private void convertChunk(JsonObject chunk, Observation obs, Buffer out) {
        JsonObject choice = chunk.getValue("choices") instanceof JsonArray a && !a.isEmpty()
                && a.getValue(0) instanceof JsonObject c ? c : null;
        if (done) {
            // the finish was seen: the trailing usage chunk completes the deferred message_delta
            if (pendingDelta != null) {
                if (chunk.getValue("usage") instanceof JsonObject && !pendingDelta.containsKey("usage")) {
                    pendingDelta.put("usage", anthropicUsage(chunk.getValue("usage")));
                }
                flush(out);
            }
            return;
        }
        if (!started) {
            started = true;
            emit(out, "message_start", new JsonObject().put("type", "message_start").put("message", new JsonObject()
                    .put("id", chunk.getValue("id"))
                    .put("type", "message")
                    .put("role", "assistant")
                    .put("model", model != null ? model : chunk.getValue("model"))
                    .put("content", new JsonArray())
                    .putNull("stop_reason")
                    .putNull("stop_sequence")
                    .put("usage", anthropicUsage(null))));
        }
        if (choice == null) {
            return;
        }
        String finish = choice.getValue("finish_reason") instanceof String f && !f.isBlank()
                && !f.trim().equals("null") ? f.trim() : null;
        JsonObject delta = choice.getValue("delta") instanceof JsonObject dd ? dd : null;
        if (delta != null) {
            Object r = delta.getValue("reasoning_content") != null ? delta.getValue("reasoning_content") : delta.getValue("reasoning");
            if (r instanceof String reasoning && !reasoning.isEmpty()) {
                open("thinking", new JsonObject().put("type", "thinking").put("thinking", ""), out);
                blockDelta(out, openBlock, new JsonObject().put("type", "thinking_delta").put("thinking", reasoning));
            }
            if (delta.getValue("content") instanceof String text && !text.isEmpty()) {
                open("text", new JsonObject().put("type", "text").put("text", ""), out);
                blockDelta(out, openBlock, new JsonObject().put("type", "text_delta").put("text", text));
                obs.text(text);
            }
            if (delta.getValue("tool_calls") instanceof JsonArray calls) {
                for (Object o : calls) {
                    if (!(o instanceof JsonObject tc) || !(tc.getValue("index") instanceof Number n)) {
                        continue;
                    }
                    int ti = n.intValue();
                    JsonObject fn = tc.getValue("function") instanceof JsonObject f ? f : new JsonObject();
                    if (!toolBlocks.containsKey(ti)) {
                        if (toolBlocks.size() >= MAX_TOOL_CALLS) {
                            continue; // a provider gone mad: the map stays bounded
                        }
                        closeOpen(out);
                        int idx = nextIndex++;
                        toolBlocks.put(ti, idx);
                        openBlock = idx;
                        openType = "tool_use";
                        emit(out, "content_block_start", new JsonObject().put("type", "content_block_start")
                                .put("index", idx).put("content_block", new JsonObject().put("type", "tool_use")
                                        .put("id", tc.getValue("id") instanceof String id ? id : "")
                                        .put("name", originalName(fn.getValue("name") instanceof String nm ? nm : ""))
                                        .put("input", new JsonObject())));
                    }
                    if (fn.getValue("arguments") instanceof String args && !args.isEmpty()) {
                        blockDelta(out, toolBlocks.get(ti),
                                new JsonObject().put("type", "input_json_delta").put("partial_json", args));
                    }
                }
            }
        }
        if (finish != null) {
            closeOpen(out);
            pendingDelta = new JsonObject().put("type", "message_delta").put("delta", new JsonObject()
                    .put("stop_reason", STOP_REASONS.getOrDefault(finish, "end_turn")).putNull("stop_sequence"));
            if (chunk.getValue("usage") instanceof JsonObject) {
                pendingDelta.put("usage", anthropicUsage(chunk.getValue("usage")));
            }
            done = true;
        }
    }

    private void open(String type, JsonObject block, Buffer out) {
        if (type.equals(openType)) {
            return;
        }
        closeOpen(out);
        openBlock = nextIndex++;
        openType = type;
        emit(out, "content_block_start", new JsonObject().put("type", "content_block_start")
                .put("index", openBlock).put("content_block", block));
    }

    private void closeOpen(Buffer out) {
        if (openBlock >= 0) {
            emit(out, "content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", openBlock));
            openBlock = -1;
            openType = null;
        }
    }

    private static void blockDelta(Buffer out, int index, JsonObject delta) {
        emit(out, "content_block_delta", new JsonObject().put("type", "content_block_delta")
                .put("index", index).put("delta", delta));
    }

    /** Sends the deferred {@code message_delta} and {@code message_stop}. */
    private void flush(Buffer out) {
        if (pendingDelta != null) {
            if (!pendingDelta.containsKey("usage")) {
                pendingDelta.put("usage", anthropicUsage(null));
            }
            emit(out, "message_delta", pendingDelta);
            emit(out, "message_stop", new JsonObject().put("type", "message_stop"));
            pendingDelta = null;
        }
    }

    @Override
    protected void onEnd(Observation obs, Buffer out) {
        if (pendingDelta != null) {
            flush(out);
        } else if (started && !done) {
            // the provider stopped without a finish: close what is open so that the client does not hang
            closeOpen(out);
            emit(out, "message_delta", new JsonObject().put("type", "message_delta")
                    .put("delta", new JsonObject().put("stop_reason", "end_turn").putNull("stop_sequence"))
                    .put("usage", anthropicUsage(null)));
            emit(out, "message_stop", new JsonObject().put("type", "message_stop"));
            done = true;
        }
    }

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }
}
