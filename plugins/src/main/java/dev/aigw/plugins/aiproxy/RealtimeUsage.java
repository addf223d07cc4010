package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.websocket.WebSocketRelay;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Reads the token usage of a Realtime session from the provider's {@code response.done} events as
 * they pass (nothing is held back): a text message whose start names {@code response.done} is kept,
 * up to {@link #CAP} bytes, and parsed when its last frame passed; every other message (audio deltas,
 * transcripts) is only glanced at. Usage is summed over the session's responses into
 * {@code llm_prompt_tokens}, {@code llm_completion_tokens} and {@code llm_total_tokens}.
 */
final class RealtimeUsage implements WebSocketRelay.Tap {

    /** The largest {@code response.done} event read; a larger one is not counted. */
    static final int CAP = 256 * 1024;
    /** How far into a message its type is looked for. */
    private static final int PEEK = 256;
    private static final byte[] DONE = "\"response.done\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final RequestContext ctx;
    private Buffer pending;
    private boolean reading;
    private long prompt;
    private long completion;
    private long total;

    RealtimeUsage(RequestContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void fromUpstream(WebSocketFrame f) {
        if (f.isText()) {
            pending = null;
            reading = names(f.binaryData());
        } else if (!f.isContinuation()) {
            reading = false;
            return;
        }
        if (!reading) {
            return;
        }
        Buffer data = f.binaryData();
        if (f.isFinal() && pending == null) {
            reading = false;
            parse(data);
            return;
        }
        if (pending == null) {
            pending = Buffer.buffer(Math.min(CAP, data.length() * 2));
        }
        if (pending.length() + data.length() > CAP) {
            pending = null;
            reading = false;
            return;
        }
        pending.appendBuffer(data);
        if (f.isFinal()) {
            Buffer whole = pending;
            pending = null;
            reading = false;
            parse(whole);
        }
    }

    private static boolean names(Buffer b) {
        int n = Math.min(b.length(), PEEK) - DONE.length;
        outer:
        for (int i = 0; i <= n; i++) {
            for (int j = 0; j < DONE.length; j++) {
                if (b.getByte(i + j) != DONE[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private void parse(Buffer event) {
        JsonObject ev;
        try {
            ev = new JsonObject(event);
        } catch (DecodeException e) {
            return;
        }
        if (!"response.done".equals(ev.getString("type"))) {
            return;
        }
        JsonObject response = ev.getValue("response") instanceof JsonObject r ? r : null;
        JsonObject usage = response == null || !(response.getValue("usage") instanceof JsonObject u) ? null : u;
        if (usage == null) {
            return;
        }
        long in = number(usage, "input_tokens");
        long out = number(usage, "output_tokens");
        long all = usage.getValue("total_tokens") instanceof Number t ? t.longValue() : in + out;
        prompt += in;
        completion += out;
        total += all;
        ctx.setVar(AiVars.LLM_PROMPT_TOKENS, prompt);
        ctx.setVar(AiVars.LLM_COMPLETION_TOKENS, completion);
        ctx.setVar(AiVars.LLM_TOTAL_TOKENS, total);
    }

    private static long number(JsonObject o, String key) {
        return o.getValue(key) instanceof Number n ? n.longValue() : 0;
    }
}
