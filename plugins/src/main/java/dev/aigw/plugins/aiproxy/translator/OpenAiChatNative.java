package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.OpenAiChat;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI chat to a provider that speaks it. Tokens must always be counted, so a stream asks for the
 * usage chunk ({@code stream_options.include_usage}) and, when the client did not ask for it
 * itself, hides it (and the {@code "usage"} keys providers add to ordinary chunks once asked).
 */
public final class OpenAiChatNative extends SseTranslator {

    private boolean usageInjected;

    public OpenAiChatNative() {
        super(AiProtocol.CHAT, AiProtocol.CHAT);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) {
        JsonObject out = shallow(body);
        if (Boolean.TRUE.equals(body.getValue("stream")) && !clientAskedUsage) {
            JsonObject so = body.getValue("stream_options") instanceof JsonObject o ? o.copy() : new JsonObject();
            so.put("include_usage", true);
            out.put("stream_options", so);
            usageInjected = true;
        }
        return out;
    }

    @Override
    public Buffer response(Buffer body, Observation obs) {
        JsonObject json = parse(body);
        if (json != null) {
            TokenUsage u = TokenUsage.fromOpenAi(json.getValue("usage"));
            obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
            obs.model(json.getValue("model") instanceof String m ? m : null);
            if (obs.collectingText()) {
                obs.text(OpenAiChat.responseText(json));
            }
        }
        return null;
    }

    @Override
    protected void onEvent(SseEvent ev, Observation obs, Buffer out) {
        String d = ev.data();
        if (d == null || d.isBlank() || "[DONE]".equals(d.trim())
                || (!obs.collectingText() && certainlyNoUsage(d))) {
            out.appendBuffer(ev.raw()); // nothing to collect and no usage key: not worth a JSON parse
            return;
        }
        if (usageInjected && !obs.collectingText() && obs.model() != null) {
            int cut = nullUsageAtEnd(d);
            if (cut >= 0) {
                // once asked, OpenAI ends every ordinary chunk with "usage":null: cut it from the text
                // rather than parse and re-encode each event (nothing else in it is wanted here)
                out.appendString("data: ").appendString(d.substring(0, cut)).appendString("}\n\n");
                return;
            }
        }
        JsonObject chunk = json(ev);
        if (chunk == null) {
            out.appendBuffer(ev.raw());
            return;
        }
        obs.usage(TokenUsage.fromOpenAi(chunk.getValue("usage")));
        obs.model(chunk.getValue("model") instanceof String m ? m : null);
        if (obs.collectingText()) {
            StringBuilder sb = new StringBuilder();
            OpenAiChat.appendDeltaText(chunk, sb);
            obs.text(sb.toString());
        }
        if (usageInjected && chunk.containsKey("usage")) {
            if (OpenAiChat.isUsageOnlyChunk(chunk)) {
                return; // the extra chunk the client did not ask for
            }
            // providers add "usage": null (or the totals) to ordinary chunks once asked; the client did not ask
            chunk.remove("usage");
            out.appendString("data: ").appendString(chunk.encode()).appendString("\n\n");
            return;
        }
        out.appendBuffer(ev.raw());
    }

    @Override
    protected void onRemainder(Buffer rest, Buffer out) {
        out.appendBuffer(rest); // native: whatever the provider sent reaches the client
    }

    private static final String NULL_USAGE_END = ",\"usage\":null}";

    /**
     * Where <code>,"usage":null&#125;</code> starts when {@code data} is a one-line chunk whose only
     * {@code usage} is that last member of the outer object, else -1. The word occurs once and no
     * {@code \\u} escape could spell another key, so nothing else is cut; the value is null, so there
     * is no usage to count. (In an object nested last, the text would end with two braces.)
     */
    static int nullUsageAtEnd(String data) {
        int end = data.length();
        while (end > 0 && Character.isWhitespace(data.charAt(end - 1))) {
            end--;
        }
        int at = end - NULL_USAGE_END.length();
        if (at <= 0 || !data.startsWith(NULL_USAGE_END, at) || data.indexOf("usage") != at + 2
                || data.indexOf("\\u") >= 0 || data.indexOf('\n') >= 0) {
            return -1;
        }
        return at;
    }

    /**
     * True when {@code data} certainly has no {@code usage} key: the word does not occur, and no
     * {@code \\u} escape could spell it in a key. Only then may the event go by unparsed.
     */
    public static boolean certainlyNoUsage(String data) {
        return data.indexOf("usage") < 0 && data.indexOf("\\u") < 0;
    }
}
