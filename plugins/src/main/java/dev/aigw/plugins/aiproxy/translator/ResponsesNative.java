package dev.aigw.plugins.aiproxy.translator;

import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI Responses to a provider that speaks it: the body as it is; every stream event relayed as it
 * came; usage from the {@code response} object of the answer or of {@code response.completed}
 * (also {@code response.incomplete} and {@code response.failed}, which carry it too); text from the
 * {@code output_text} parts or the {@code response.output_text.delta} events.
 */
public final class ResponsesNative extends SseTranslator {

    public ResponsesNative() {
        super(AiProtocol.RESPONSES, AiProtocol.RESPONSES);
    }

    @Override
    public JsonObject request(JsonObject body, boolean clientAskedUsage) {
        return shallow(body);
    }

    @Override
    public Buffer response(Buffer body, Observation obs) {
        JsonObject json = parse(body);
        if (json != null) {
            observeResponse(json, obs);
        }
        return null;
    }

    private static void observeResponse(JsonObject r, Observation obs) {
        TokenUsage u = TokenUsage.fromResponses(r.getValue("usage"));
        obs.usage(u == null ? new TokenUsage(0, 0, 0) : u);
        obs.model(r.getValue("model") instanceof String m ? m : null);
        if (obs.collectingText() && r.getValue("output") instanceof JsonArray output) {
            for (Object item : output) {
                if (item instanceof JsonObject it && it.getValue("content") instanceof JsonArray parts) {
                    for (Object p : parts) {
                        if (p instanceof JsonObject part && "output_text".equals(part.getValue("type"))
                                && part.getValue("text") instanceof String t) {
                            obs.text(t);
                        }
                    }
                }
            }
        }
    }

    @Override
    protected void onEvent(SseEvent ev, Observation obs, Buffer out) {
        out.appendBuffer(ev.raw());
        String d = ev.data();
        if (d == null) {
            return;
        }
        // only the final events carry usage; deltas are parsed only for the text
        boolean last = d.contains("\"response.completed\"") || d.contains("\"response.incomplete\"")
                || d.contains("\"response.failed\"");
        boolean delta = obs.collectingText() && d.contains("\"response.output_text.delta\"");
        if (!last && !delta) {
            return;
        }
        JsonObject e = json(ev);
        if (e == null) {
            return;
        }
        if (last && e.getValue("response") instanceof JsonObject r) {
            TokenUsage u = TokenUsage.fromResponses(r.getValue("usage"));
            obs.usage(u);
            obs.model(r.getValue("model") instanceof String m ? m : null);
        } else if (delta && e.getValue("delta") instanceof String t) {
            obs.text(t);
        }
    }

    @Override
    protected void onRemainder(Buffer rest, Buffer out) {
        out.appendBuffer(rest);
    }
}
