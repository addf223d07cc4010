package dev.aigw.plugins.airatelimiting;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.aigw.gateway.conf.ConfigException;
import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.net.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Counts a request's prompt tokens before it is sent, with OpenAI's tokenizers (jtokkit):
 * {@code o200k_base} for the GPT-4o / 4.1 / 5 and o-series families, {@code cl100k_base} for the
 * rest (other families tokenize differently: their counts are an approximation, typically within
 * ±20 %). As OpenAI counts a chat: each piece of text (a message's content, a text part, a name,
 * the tool calls and tool definitions as JSON) is counted on its own, plus 3 tokens per message and
 * 3 for the reply's priming.
 *
 * <p>Tokenizing is the costly part (a few µs per 100 characters), and most of a chat's text comes
 * again on the next request: the system prompt, the tool definitions and, in a multi-turn chat, the
 * whole conversation so far. So the count of each piece of at least {@value #MIN_CACHED_CHARS}
 * characters is kept in a Caffeine cache keyed by the encoding and the text, bounded by the
 * characters it holds ({@code plugin_attr.ai-rate-limiting.token_count_cache_chars}); hits, misses and
 * evictions are counted ({@link #stats()}). A hit gives exactly the count a miss would compute.
 *
 * <p>Threading: an encoding is loaded once, on a worker (reading its table takes a few hundred
 * milliseconds); up to {@value #INLINE_CHARS} characters not in the cache are counted on the event
 * loop (well under a millisecond), more on a worker.
 */
final class TokenEstimator {

    /** Most characters not in the cache counted on the event loop. */
    static final int INLINE_CHARS = 32 * 1024;

    /** Shorter pieces are tokenized each time: that costs about what a cache lookup does. */
    static final int MIN_CACHED_CHARS = 64;

    /** Default bound on the characters whose counts are cached (~8–16 MB of text). */
    static final long DEFAULT_CACHE_CHARS = 8L * 1024 * 1024;

    /** What an entry weighs besides its text, in characters. */
    static final int ENTRY_OVERHEAD = 64;

    /**
     * {@code token_count_cache_chars} of {@code plugin_attr.ai-rate-limiting}: an integer >= 0 (0 turns
     * the cache off), {@link #DEFAULT_CACHE_CHARS} when absent.
     *
     * @throws ConfigException naming the key for anything else (it stops the start)
     */
    static long cacheChars(JsonObject attr) {
        return GatewayConfig.pluginAttrInteger(attr, AiRateLimitingPlugin.NAME, "token_count_cache_chars",
                DEFAULT_CACHE_CHARS, 0);
    }

    /** The cache key: the same text counts differently in another encoding. */
    private record Key(EncodingType type, String text) {
    }

    private final Vertx vertx;
    private final EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
    /** Per {@link EncodingType#ordinal()}: the encoding once loading has started. */
    private final AtomicReferenceArray<Future<Encoding>> loaded = new AtomicReferenceArray<>(EncodingType.values().length);
    private final Cache<Key, Integer> counts;

    /**
     * @param cacheChars bound on the characters of cached pieces; 0 disables the cache
     */
    TokenEstimator(Vertx vertx, long cacheChars) {
        this.vertx = vertx;
        this.counts = cacheChars <= 0 ? null : Caffeine.newBuilder()
                .maximumWeight(cacheChars)
                // the text, plus about what an entry costs besides it (key, node, boxed count)
                .weigher((Key k, Integer v) -> k.text().length() + ENTRY_OVERHEAD)
                .executor(Runnable::run) // maintenance inline: no common-pool threads for a cheap cleanup
                .recordStats()
                .build();
    }

    /** The tokenizer family of a model name (no allocation: it runs per request). */
    static EncodingType typeOf(String model) {
        if (model != null) {
            int from = model.lastIndexOf('/') + 1; // openrouter-style "openai/gpt-4o"
            if (starts(model, from, "gpt-4o") || starts(model, from, "chatgpt-4o") || starts(model, from, "gpt-4.1")
                    || starts(model, from, "gpt-4.5") || starts(model, from, "gpt-5")) {
                return EncodingType.O200K_BASE;
            }
            if (model.length() > from + 1 && Character.toLowerCase(model.charAt(from)) == 'o') {
                char c = model.charAt(from + 1);
                if (c >= '1' && c <= '9') {
                    return EncodingType.O200K_BASE; // o1, o3, o4-mini …
                }
            }
        }
        return EncodingType.CL100K_BASE;
    }

    private static boolean starts(String s, int from, String prefix) {
        return s.regionMatches(true, from, prefix, 0, prefix.length());
    }

    /** Estimated prompt tokens of an OpenAI-style request body (chat, completions or embeddings). */
    Future<Long> promptTokens(JsonObject body, String model) {
        EncodingType type = typeOf(model);
        Future<Encoding> enc = encoding(type);
        if (enc.succeeded()) {
            return count(enc.result(), type, body);
        }
        // the load is shared: its result comes back on this request's event loop, not the loader's
        return OnContext.here(enc).compose(e -> count(e, type, body));
    }

    private Future<Long> count(Encoding enc, EncodingType type, JsonObject body) {
        List<String> pieces = new ArrayList<>(8);
        long framing = framing(collect(body, pieces));
        long total = framing;
        List<String> missed = null;
        int missedChars = 0;
        for (String p : pieces) {
            if (p.isEmpty()) {
                continue;
            }
            Integer n = counts == null || p.length() < MIN_CACHED_CHARS ? null : counts.getIfPresent(new Key(type, p));
            if (n != null) {
                total += n;
            } else if (p.length() < MIN_CACHED_CHARS || missedChars + p.length() <= INLINE_CHARS) {
                total += countAndKeep(enc, type, p);
                missedChars += p.length();
            } else {
                if (missed == null) {
                    missed = new ArrayList<>();
                }
                missed.add(p);
            }
        }
        if (missed == null) {
            return Future.succeededFuture(total);
        }
        // a long text not seen before: counted on a worker, not to hold the event loop
        long counted = total;
        List<String> rest = missed;
        return vertx.executeBlocking(() -> {
            long t = counted;
            for (String p : rest) {
                t += countAndKeep(enc, type, p);
            }
            return t;
        }, false);
    }

    private int countAndKeep(Encoding enc, EncodingType type, String text) {
        int n = enc.countTokensOrdinary(text);
        if (counts != null && text.length() >= MIN_CACHED_CHARS) {
            counts.put(new Key(type, text), n);
        }
        return n;
    }

    private static long framing(int messages) {
        return messages == 0 ? 0 : messages * 3L + 3;
    }

    private Future<Encoding> encoding(EncodingType type) {
        int i = type.ordinal();
        Future<Encoding> f = loaded.get(i);
        if (f == null) {
            synchronized (loaded) { // once per encoding in the process's life
                f = loaded.get(i);
                if (f == null) {
                    f = vertx.executeBlocking(() -> registry.getEncoding(type), false);
                    loaded.set(i, f);
                }
            }
        }
        return f;
    }

    /** The cache's statistics (hits, misses, evictions), or null without a cache. */
    CacheStats stats() {
        return counts == null ? null : counts.stats();
    }

    /** Weight held by the cache now: characters of text plus {@value #ENTRY_OVERHEAD} per entry. */
    long cachedChars() {
        if (counts != null) {
            counts.cleanUp(); // pending evictions first (at a scrape, not per request)
        }
        return counts == null ? 0 : counts.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    /** Collects the pieces of text a tokenizer sees (references, not copies); returns the number of messages. */
    static int collect(JsonObject body, List<String> out) {
        int n = 0;
        Object messages = body.getValue("messages");
        if (messages instanceof JsonArray arr) {
            for (int i = 0, size = arr.size(); i < size; i++) {
                if (arr.getValue(i) instanceof JsonObject m) {
                    n++;
                    content(m.getValue("content"), out);
                    if (m.getValue("name") instanceof String s) {
                        out.add(s);
                    }
                    Object calls = m.getValue("tool_calls");
                    if (calls != null) {
                        out.add(calls.toString());
                    }
                }
            }
        }
        content(body.getValue("system"), out); // Anthropic-style system prompt
        content(body.getValue("prompt"), out);
        content(body.getValue("input"), out);
        Object tools = body.getValue("tools");
        if (tools != null) {
            out.add(tools.toString());
        }
        return n;
    }

    private static void content(Object content, List<String> out) {
        if (content instanceof String s) {
            out.add(s);
        } else if (content instanceof JsonArray parts) {
            for (int i = 0, size = parts.size(); i < size; i++) {
                Object p = parts.getValue(i);
                if (p instanceof String s) {
                    out.add(s);
                } else if (p instanceof JsonObject part && part.getValue("text") instanceof String t) {
                    out.add(t);
                }
            }
        }
    }

    /** The completion the request allows: max_completion_tokens, max_tokens or max_output_tokens, else null. */
    static Long completionLimit(JsonObject body) {
        Long v = nonNegative(body.getValue("max_completion_tokens"));
        if (v == null) {
            v = nonNegative(body.getValue("max_tokens"));
        }
        return v != null ? v : nonNegative(body.getValue("max_output_tokens"));
    }

    private static Long nonNegative(Object v) {
        return v instanceof Number n && n.longValue() >= 0 ? n.longValue() : null;
    }
}
