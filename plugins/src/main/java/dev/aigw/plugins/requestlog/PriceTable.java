package dev.aigw.plugins.requestlog;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prices per model in US dollars per million tokens: input, output and cached input. The shipped
 * defaults cover the common models; the plugin metadata's {@code prices} override or add models
 * (and {@code replace_default_prices} drops the defaults).
 *
 * <p>A model is looked up exactly, then without a {@code vendor/} prefix, then by the longest known
 * name it starts with followed by a date, version or tag (so {@code gpt-4o-2024-08-06} is priced
 * as {@code gpt-4o}, {@code gpt-4o-mini-2024-07-18} as {@code gpt-4o-mini}, but an unknown
 * {@code gpt-4o-mini} never as {@code gpt-4o}). Lookups are
 * cached per table (bounded), so the per-request cost is one map read.
 */
final class PriceTable {

    /** One model's prices, per million tokens. */
    record Price(double input, double output, double cachedInput) {
    }

    private static final int CACHE_CAP = 4096;
    private static final Price NONE = new Price(-1, -1, -1);

    /** Public list prices (USD per 1M tokens) at the time of writing; override them in the metadata. */
    static final Map<String, Price> DEFAULTS;

    static {
        Map<String, Price> d = new LinkedHashMap<>();
        // OpenAI
        d.put("gpt-5", new Price(1.25, 10.00, 0.125));
        d.put("gpt-5-mini", new Price(0.25, 2.00, 0.025));
        d.put("gpt-5-nano", new Price(0.05, 0.40, 0.005));
        d.put("gpt-4.1", new Price(2.00, 8.00, 0.50));
        d.put("gpt-4.1-mini", new Price(0.40, 1.60, 0.10));
        d.put("gpt-4.1-nano", new Price(0.10, 0.40, 0.025));
        d.put("gpt-4o", new Price(2.50, 10.00, 1.25));
        d.put("gpt-4o-mini", new Price(0.15, 0.60, 0.075));
        d.put("gpt-4-turbo", new Price(10.00, 30.00, 10.00));
        d.put("gpt-3.5-turbo", new Price(0.50, 1.50, 0.50));
        d.put("o1", new Price(15.00, 60.00, 7.50));
        d.put("o3", new Price(2.00, 8.00, 0.50));
        d.put("o3-mini", new Price(1.10, 4.40, 0.55));
        d.put("o4-mini", new Price(1.10, 4.40, 0.275));
        d.put("text-embedding-3-small", new Price(0.02, 0, 0.02));
        d.put("text-embedding-3-large", new Price(0.13, 0, 0.13));
        d.put("text-embedding-ada-002", new Price(0.10, 0, 0.10));
        // Anthropic (cached input = cache read)
        d.put("claude-opus-4", new Price(15.00, 75.00, 1.50));
        d.put("claude-opus-4-1", new Price(15.00, 75.00, 1.50));
        d.put("claude-sonnet-4", new Price(3.00, 15.00, 0.30));
        d.put("claude-sonnet-4-5", new Price(3.00, 15.00, 0.30));
        d.put("claude-haiku-4-5", new Price(1.00, 5.00, 0.10));
        d.put("claude-3-7-sonnet", new Price(3.00, 15.00, 0.30));
        d.put("claude-3-5-sonnet", new Price(3.00, 15.00, 0.30));
        d.put("claude-3-5-haiku", new Price(0.80, 4.00, 0.08));
        // Google
        d.put("gemini-2.5-pro", new Price(1.25, 10.00, 0.31));
        d.put("gemini-2.5-flash", new Price(0.30, 2.50, 0.075));
        d.put("gemini-2.5-flash-lite", new Price(0.10, 0.40, 0.025));
        d.put("gemini-2.0-flash", new Price(0.10, 0.40, 0.025));
        d.put("text-embedding-004", new Price(0.00, 0, 0.00));
        // DeepSeek, Mistral
        d.put("deepseek-chat", new Price(0.27, 1.10, 0.07));
        d.put("deepseek-reasoner", new Price(0.55, 2.19, 0.14));
        d.put("mistral-large-latest", new Price(2.00, 6.00, 2.00));
        d.put("mistral-small-latest", new Price(0.10, 0.30, 0.10));
        DEFAULTS = Map.copyOf(d);
    }

    static final PriceTable DEFAULT = new PriceTable(DEFAULTS);

    private final Map<String, Price> prices;
    private final Map<String, Price> cache = new ConcurrentHashMap<>();

    PriceTable(Map<String, Price> prices) {
        this.prices = prices;
    }

    /** The defaults with the metadata's {@code prices} over them (validated by the metadata schema). */
    static PriceTable fromMetadata(JsonObject meta) {
        if (meta == null || (!meta.containsKey("prices") && !meta.getBoolean("replace_default_prices", false))) {
            return DEFAULT;
        }
        Map<String, Price> m = new HashMap<>();
        if (!meta.getBoolean("replace_default_prices", false)) {
            m.putAll(DEFAULTS);
        }
        JsonObject p = meta.getJsonObject("prices", new JsonObject());
        for (String model : p.fieldNames()) {
            JsonObject e = p.getJsonObject(model);
            double in = e.getNumber("input", 0).doubleValue();
            double out = e.getNumber("output", 0).doubleValue();
            double cached = e.containsKey("cached_input") ? e.getNumber("cached_input").doubleValue() : in;
            m.put(model.toLowerCase(Locale.ROOT), new Price(in, out, cached));
        }
        return new PriceTable(Map.copyOf(m));
    }

    /** The price of a model, or null when the table does not know it. */
    Price find(String model) {
        if (model == null || model.isEmpty()) {
            return null;
        }
        Price p = cache.get(model);
        if (p == null) {
            p = lookup(model.toLowerCase(Locale.ROOT));
            if (cache.size() < CACHE_CAP) { // hostile model names must not grow the cache without end
                cache.put(model, p);
            }
        }
        return p == NONE ? null : p;
    }

    private Price lookup(String model) {
        Price p = prices.get(model);
        if (p != null) {
            return p;
        }
        int slash = model.lastIndexOf('/');
        if (slash >= 0 && slash < model.length() - 1) {
            String bare = model.substring(slash + 1);
            p = prices.get(bare);
            if (p != null) {
                return p;
            }
            model = bare;
        }
        String best = null;
        for (String known : prices.keySet()) {
            if (model.length() > known.length() && model.startsWith(known) && isVariant(model.substring(known.length()))
                    && (best == null || known.length() > best.length())) {
                best = known;
            }
        }
        return best == null ? NONE : prices.get(best);
    }

    /**
     * A dated or tagged release of a known model ({@code -2024-08-06}, {@code -20250929},
     * {@code -preview-05-20}, {@code -latest}, {@code :free}, {@code @001}), not another model
     * ({@code gpt-4o-mini} is not a release of {@code gpt-4o}: pricing it so would overcharge).
     */
    private static boolean isVariant(String rest) {
        char c = rest.charAt(0);
        if (c == ':' || c == '@') {
            return true;
        }
        return c == '-' && rest.length() > 1 && (Character.isDigit(rest.charAt(1))
                || rest.startsWith("-latest") || rest.startsWith("-preview") || rest.startsWith("-exp"));
    }

    /**
     * The cost in US dollars of a call, or null when the model is unknown. Prompt tokens include the
     * cached ones (OpenAI's {@code prompt_tokens_details.cached_tokens}), which are billed at the
     * cached-input price.
     */
    Double cost(String model, long promptTokens, long completionTokens, long cachedTokens) {
        Price p = find(model);
        if (p == null) {
            return null;
        }
        long cached = Math.max(0, Math.min(cachedTokens, promptTokens));
        return ((promptTokens - cached) * p.input() + cached * p.cachedInput() + completionTokens * p.output()) / 1e6;
    }
}
