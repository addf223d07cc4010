package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.sse.SseDecoder;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** A translator whose provider streams server-sent events: decodes them and hands each whole event on. */
public abstract class SseTranslator extends Translator {

    private final SseDecoder decoder = new SseDecoder();

    protected SseTranslator(AiProtocol client, AiProtocol target) {
        super(client, target);
    }

    @Override
    public final Buffer streamChunk(Buffer chunk, Observation obs) {
        Buffer out = Buffer.buffer();
        for (SseEvent ev : decoder.feed(chunk)) {
            onEvent(ev, obs, out);
        }
        return out;
    }

    @Override
    public final Buffer streamEnd(Observation obs) {
        Buffer out = Buffer.buffer();
        Buffer rest = decoder.remainder();
        if (rest.length() > 0) {
            onRemainder(rest, out);
        }
        onEnd(obs, out);
        return out;
    }

    /** One whole event: append what the client gets to {@code out}. */
    protected abstract void onEvent(SseEvent ev, Observation obs, Buffer out);

    /** Bytes after the last whole event when the stream ended. Default: dropped (a converted stream cannot use half an event). */
    protected void onRemainder(Buffer rest, Buffer out) {
    }

    /** The stream ended: append any closing events. */
    protected void onEnd(Observation obs, Buffer out) {
    }

    /** The event's data as JSON, or null (no data, {@code [DONE]}, not JSON). */
    protected static JsonObject json(SseEvent ev) {
        String d = ev.data();
        if (d == null || d.isBlank() || d.trim().equals("[DONE]")) {
            return null;
        }
        try {
            return new JsonObject(d);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Writes one event: {@code event: <name>} (when not null), {@code data: <json>}, blank line. */
    static void emit(Buffer out, String event, JsonObject data) {
        if (event != null) {
            out.appendString("event: ").appendString(event).appendString("\n");
        }
        out.appendString("data: ").appendString(data.encode()).appendString("\n\n");
    }
}
