package dev.aigw.plugins.airatelimiting;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts a request's prompt tokens before it is sent, with OpenAI's tokenizers (jtokkit):
 * {@code o200k_base} for the GPT-4o / 4.1 / 5 and o-series families, {@code cl100k_base} for the
 * rest (other families tokenize differently: their counts are an approximation, typically within
 * ±20 %). Message framing adds OpenAI's 3 tokens per message and 3 for the reply's priming.
 *
 * <p>Threading: an encoding is loaded once, on a worker (reading its table takes a few hundred
 * milliseconds); a prompt up to {@value #INLINE_CHARS} characters is counted on the event loop
 * (well under a millisecond), a longer one on a worker.
 */
final class TokenEstimator {

    /** Longest text counted on the event loop. */
    static final int INLINE_CHARS = 32 * 1024;

    private final Vertx vertx;
    private final EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
    private final ConcurrentMap<EncodingType, Future<Encoding>> loaded = new ConcurrentHashMap<>();

    TokenEstimator(Vertx vertx) {
        this.vertx = vertx;
    }

    /** The tokenizer family of a model name. */
    static EncodingType typeOf(String model) {
        if (model != null) {
            String m = model.toLowerCase(Locale.ROOT);
            int slash = m.lastIndexOf('/');
            if (slash >= 0) {
                m = m.substring(slash + 1); // openrouter-style "openai/gpt-4o"
            }
            if (m.startsWith("gpt-4o") || m.startsWith("chatgpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5")
                    || m.startsWith("gpt-5") || m.matches("^o[1-9].*")) {
                return EncodingType.O200K_BASE;
            }
        }
        return EncodingType.CL100K_BASE;
    }

    /** Estimated prompt tokens of an OpenAI-style request body (chat, completions or embeddings). */
    Future<Long> promptTokens(JsonObject body, String model) {
        StringBuilder text = new StringBuilder();
        int messages = collect(body, text);
        Future<Encoding> enc = encoding(typeOf(model));
        return enc.compose(e -> {
            if (text.length() <= INLINE_CHARS) {
                return Future.succeededFuture((long) e.countTokensOrdinary(text.toString()) + framing(messages));
            }
            return vertx.executeBlocking(() -> (long) e.countTokensOrdinary(text.toString()) + framing(messages), false);
        });
    }

    private static long framing(int messages) {
        return messages == 0 ? 0 : messages * 3L + 3;
    }

    private Future<Encoding> encoding(EncodingType type) {
        return loaded.computeIfAbsent(type, t -> vertx.executeBlocking(() -> registry.getEncoding(t), false));
    }

    /** Appends the text a tokenizer sees; returns the number of messages. */
    static int collect(JsonObject body, StringBuilder out) {
        int n = 0;
        Object messages = body.getValue("messages");
        if (messages instanceof JsonArray arr) {
            for (Object o : arr) {
                if (o instanceof JsonObject m) {
                    n++;
                    appendContent(m.getValue("content"), out);
                    Object name = m.getValue("name");
                    if (name instanceof String s) {
                        out.append(s).append('\n');
                    }
                    Object calls = m.getValue("tool_calls");
                    if (calls != null) {
                        out.append(calls).append('\n');
                    }
                }
            }
        }
        Object system = body.getValue("system"); // Anthropic-style system prompt
        appendContent(system, out);
        appendContent(body.getValue("prompt"), out);
        appendContent(body.getValue("input"), out);
        Object tools = body.getValue("tools");
        if (tools != null) {
            out.append(tools).append('\n');
        }
        return n;
    }

    private static void appendContent(Object content, StringBuilder out) {
        if (content instanceof String s) {
            out.append(s).append('\n');
        } else if (content instanceof JsonArray parts) {
            for (Object p : parts) {
                if (p instanceof String s) {
                    out.append(s).append('\n');
                } else if (p instanceof JsonObject part && part.getValue("text") instanceof String t) {
                    out.append(t).append('\n');
                }
            }
        }
    }

    /** The completion the request allows: max_completion_tokens, max_tokens or max_output_tokens, else null. */
    static Long completionLimit(JsonObject body) {
        for (String k : new String[] {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
            if (body.getValue(k) instanceof Number n && n.longValue() >= 0) {
                return n.longValue();
            }
        }
        return null;
    }
}
