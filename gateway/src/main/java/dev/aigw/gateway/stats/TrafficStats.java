package dev.aigw.gateway.stats;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.RequestLogSink;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The dashboard's view of traffic, kept in this process for the last 24 hours.
 *
 * <ul>
 *   <li>Per minute: requests, 4xx, 5xx, rate-limit rejections, cache hits and misses, tokens, cost,
 *       and latency / time-to-first-token histograms (p50 / p99 per minute and per window).</li>
 *   <li>Per ten minutes, per model, route and consumer: requests, errors, tokens and cost; at most
 *       {@value #MAX_KEYS} keys per dimension and slot, the rest counted under {@code (other)}.</li>
 *   <li>The last {@value #RECENT} requests and the last {@value #RECENT} failed ones (status ≥ 500 or
 *       no answer), for the slowest and failed lists.</li>
 * </ul>
 * Recording runs on the event loop after the response, with atomic adds only: no lock, no I/O.
 * Values come from the gateway's variables ({@code llm_*}, {@code consumer_name}, {@code llm_cost},
 * {@code ai_proxy_multi_*}) and response headers ({@code X-AI-Cache-Status}; a rate-limit rejection is
 * a 4xx/5xx answer carrying an {@code X-RateLimit-Remaining} or {@code X-AI-RateLimit-Remaining-*}
 * header of 0), so plugins need not know the dashboard exists.
 */
public final class TrafficStats implements RequestLogSink {

    static final int MINUTES = 24 * 60;
    static final int SLOT_MINUTES = 10;
    static final int SLOTS = MINUTES / SLOT_MINUTES;
    static final int MAX_KEYS = 64;
    static final int RECENT = 200;
    static final String OTHER = "(other)";

    private final LongSupplier clock;
    private final AtomicReferenceArray<Minute> minutes = new AtomicReferenceArray<>(MINUTES);
    private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SLOTS);
    private final Recent recent = new Recent(RECENT);
    private final Recent failed = new Recent(RECENT);
    private final LongAdder keysFolded = new LongAdder();

    public TrafficStats() {
        this(System::currentTimeMillis);
    }

    /** With a clock of epoch milliseconds (tests move it). */
    public TrafficStats(LongSupplier clock) {
        this.clock = clock;
    }

    // ------------------------------------------------------------------ recording

    @Override
    public void log(RequestContext ctx) {
        long now = clock.getAsLong();
        int status = ctx.status();
        long latencyMicros = ctx.endNanos() > 0 ? (ctx.endNanos() - ctx.startNanos()) / 1000 : 0;
        String model = ctx.varString("llm_model");
        if (model == null) {
            model = ctx.varString("request_llm_model");
        }
        String route = ctx.route() == null ? null : ctx.route().id();
        String consumer = ctx.varString("consumer_name");
        long prompt = longVar(ctx, "llm_prompt_tokens");
        long completion = longVar(ctx, "llm_completion_tokens");
        double ttft = doubleVar(ctx, "llm_time_to_first_token");
        double cost = doubleVar(ctx, "llm_cost");
        MultiMap headers = ctx.response().headers();
        String cache = headers.get("X-AI-Cache-Status");
        boolean limited = status >= 400 && rateLimited(headers);

        record(new Sample(now, ctx.requestId(), route, consumer, model, ctx.request().method().name(),
                ctx.request().path(), status, latencyMicros / 1000.0, ttft, prompt, completion, cost,
                ctx.varString("upstream_addr"), ctx.varString("ai_proxy_multi_instance"), attempts(ctx), cache), limited);
    }

    /**
     * ai-proxy-multi's attempts as one line ({@code "2: openai-a 503, deepseek-b 200"}) from the log
     * field it leaves ({@code ai_proxy_multi.tried}: instance, status, error per attempt); null elsewhere.
     */
    private static String attempts(RequestContext ctx) {
        String count = ctx.varString("ai_proxy_multi_attempts");
        if (count == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(count);
        if (ctx.logFields().get("ai_proxy_multi") instanceof Map<?, ?> m && m.get("tried") instanceof List<?> tried) {
            sb.append(':');
            for (int i = 0; i < tried.size() && i < 8; i++) {
                if (tried.get(i) instanceof Map<?, ?> a) {
                    sb.append(i == 0 ? " " : ", ").append(a.get("instance")).append(' ').append(a.get("status"));
                    if (a.get("error") != null) {
                        sb.append(" (").append(a.get("error")).append(')');
                    }
                }
            }
        }
        return sb.length() > 300 ? sb.substring(0, 300) : sb.toString();
    }

    /** Counts one finished request ({@code limited}: refused by a rate limit). */
    void record(Sample x, boolean limited) {
        long minute = x.time() / 60_000;
        Minute m = minute(minute);
        boolean error = x.status() >= 500 || x.status() == 0;
        m.requests.increment();
        if (error) {
            m.errors5xx.increment();
        } else if (x.status() >= 400) {
            m.errors4xx.increment();
        }
        if (limited) {
            m.rateLimited.increment();
        }
        if ("HIT".equalsIgnoreCase(x.cache())) {
            m.cacheHits.increment();
        } else if ("MISS".equalsIgnoreCase(x.cache())) {
            m.cacheMisses.increment();
        }
        m.promptTokens.add(x.promptTokens());
        m.completionTokens.add(x.completionTokens());
        m.costMicros.add(Math.round(x.cost() * 1_000_000));
        m.latency.record((long) (x.latencyMs() * 1000));
        if (x.ttftMs() > 0) {
            m.ttft.record((long) (x.ttftMs() * 1000));
        }

        Slot s = slot(minute / SLOT_MINUTES);
        if (x.model() != null) {
            s.add(s.models, x.model(), error, x.promptTokens(), x.completionTokens(), x.cost(), keysFolded);
        }
        s.add(s.routes, x.route() == null ? "(no route)" : x.route(), error, x.promptTokens(), x.completionTokens(),
                x.cost(), keysFolded);
        if (x.consumer() != null) {
            s.add(s.consumers, x.consumer(), error, x.promptTokens(), x.completionTokens(), x.cost(), keysFolded);
        }
        if (x.route() != null || x.model() != null) {
            recent.add(x);
            if (error) {
                failed.add(x);
            }
        }
    }

    private static boolean rateLimited(MultiMap headers) {
        for (Map.Entry<String, String> h : headers) {
            String k = h.getKey();
            if ((k.regionMatches(true, 0, "X-RateLimit-Remaining", 0, 21)
                    || k.regionMatches(true, 0, "X-AI-RateLimit-Remaining", 0, 24)) && "0".equals(h.getValue().trim())) {
                return true;
            }
        }
        return false;
    }

    private static long longVar(RequestContext ctx, String name) {
        Object v = ctx.var(name);
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof String s && !s.isEmpty()) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    private static double doubleVar(RequestContext ctx, String name) {
        Object v = ctx.var(name);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s && !s.isEmpty()) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    private Minute minute(long minute) {
        int i = (int) (minute % MINUTES);
        Minute m = minutes.get(i);
        while (m == null || m.minute != minute) {
            if (m != null && m.minute > minute) {
                return m; // a late request from the minute before a wrap: count it in the newer one
            }
            Minute fresh = new Minute(minute);
            if (minutes.compareAndSet(i, m, fresh)) {
                return fresh;
            }
            m = minutes.get(i);
        }
        return m;
    }

    private Slot slot(long slot) {
        int i = (int) (slot % SLOTS);
        Slot s = slots.get(i);
        while (s == null || s.slot != slot) {
            if (s != null && s.slot > slot) {
                return s;
            }
            Slot fresh = new Slot(slot);
            if (slots.compareAndSet(i, s, fresh)) {
                return fresh;
            }
            s = slots.get(i);
        }
        return s;
    }

    // ------------------------------------------------------------------ reading

    /**
     * The last {@code windowMinutes} (1 to 1440) as JSON: {@code series} per minute (or per
     * {@code step} minutes when the window is long), {@code totals}, per-dimension {@code by_model},
     * {@code by_route}, {@code by_consumer}, the {@code slowest} and {@code failed} recent requests.
     */
    public JsonObject snapshot(int windowMinutes) {
        int window = Math.max(1, Math.min(MINUTES, windowMinutes));
        int step = window <= 120 ? 1 : window <= 360 ? 5 : 15;
        long now = clock.getAsLong();
        long last = now / 60_000;
        long first = last - window + 1;

        JsonArray series = new JsonArray();
        long[] allLatency = new long[LatencyHistogram.BUCKETS];
        long[] allTtft = new long[LatencyHistogram.BUCKETS];
        long requests = 0, e4 = 0, e5 = 0, limited = 0, hits = 0, misses = 0, prompt = 0, completion = 0, costMicros = 0;
        for (long start = first; start <= last; start += step) {
            long[] lat = new long[LatencyHistogram.BUCKETS];
            long[] tt = new long[LatencyHistogram.BUCKETS];
            long r = 0, x4 = 0, x5 = 0, lim = 0, h = 0, mi = 0, p = 0, c = 0, cost = 0;
            for (long mn = start; mn < start + step && mn <= last; mn++) {
                Minute m = minutes.get((int) (mn % MINUTES));
                if (m == null || m.minute != mn) {
                    continue;
                }
                r += m.requests.sum();
                x4 += m.errors4xx.sum();
                x5 += m.errors5xx.sum();
                lim += m.rateLimited.sum();
                h += m.cacheHits.sum();
                mi += m.cacheMisses.sum();
                p += m.promptTokens.sum();
                c += m.completionTokens.sum();
                cost += m.costMicros.sum();
                m.latency.addTo(lat);
                m.ttft.addTo(tt);
            }
            series.add(new JsonObject().put("t", start * 60).put("requests", r).put("errors_4xx", x4)
                    .put("errors_5xx", x5).put("rate_limited", lim).put("cache_hits", h).put("cache_misses", mi)
                    .put("prompt_tokens", p).put("completion_tokens", c).put("cost", cost / 1e6)
                    .put("p50_ms", LatencyHistogram.quantileMillis(lat, 0.5))
                    .put("p99_ms", LatencyHistogram.quantileMillis(lat, 0.99))
                    .put("ttft_p50_ms", LatencyHistogram.quantileMillis(tt, 0.5)));
            requests += r;
            e4 += x4;
            e5 += x5;
            limited += lim;
            hits += h;
            misses += mi;
            prompt += p;
            completion += c;
            costMicros += cost;
            for (int i = 0; i < lat.length; i++) {
                allLatency[i] += lat[i];
                allTtft[i] += tt[i];
            }
        }
        JsonObject totals = new JsonObject().put("requests", requests).put("errors_4xx", e4).put("errors_5xx", e5)
                .put("rate_limited", limited).put("cache_hits", hits).put("cache_misses", misses)
                .put("cache_hit_rate", hits + misses == 0 ? null : (double) hits / (hits + misses))
                .put("prompt_tokens", prompt).put("completion_tokens", completion).put("cost", costMicros / 1e6)
                .put("p50_ms", LatencyHistogram.quantileMillis(allLatency, 0.5))
                .put("p99_ms", LatencyHistogram.quantileMillis(allLatency, 0.99))
                .put("ttft_p50_ms", LatencyHistogram.quantileMillis(allTtft, 0.5))
                .put("ttft_p99_ms", LatencyHistogram.quantileMillis(allTtft, 0.99));

        Map<String, long[]> models = new HashMap<>();
        Map<String, long[]> routes = new HashMap<>();
        Map<String, long[]> consumers = new HashMap<>();
        for (long sl = first / SLOT_MINUTES; sl <= last / SLOT_MINUTES; sl++) {
            Slot s = slots.get((int) (sl % SLOTS));
            if (s == null || s.slot != sl) {
                continue;
            }
            s.sumInto(s.models, models);
            s.sumInto(s.routes, routes);
            s.sumInto(s.consumers, consumers);
        }
        long since = first * 60_000;
        List<Sample> inWindow = recent.since(since);
        inWindow.sort(Comparator.comparingDouble(Sample::latencyMs).reversed());
        JsonArray slowest = new JsonArray();
        inWindow.stream().limit(20).forEach(x -> slowest.add(x.toJson()));
        JsonArray failures = new JsonArray();
        List<Sample> f = failed.since(since);
        for (int i = f.size() - 1; i >= 0 && failures.size() < 50; i--) {
            failures.add(f.get(i).toJson());
        }
        return new JsonObject().put("now", now).put("window_minutes", window).put("step_minutes", step)
                .put("series", series).put("totals", totals)
                .put("by_model", dims(models)).put("by_route", dims(routes)).put("by_consumer", dims(consumers))
                .put("slowest", slowest).put("failed", failures)
                .put("keys_folded", keysFolded.sum());
    }

    private static JsonArray dims(Map<String, long[]> m) {
        List<Map.Entry<String, long[]>> l = new ArrayList<>(m.entrySet());
        l.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        JsonArray out = new JsonArray();
        for (Map.Entry<String, long[]> e : l) {
            long[] v = e.getValue();
            out.add(new JsonObject().put("name", e.getKey()).put("requests", v[0]).put("errors", v[1])
                    .put("prompt_tokens", v[2]).put("completion_tokens", v[3]).put("cost", v[4] / 1e6));
        }
        return out;
    }

    // ------------------------------------------------------------------ parts

    /** One minute of counters. */
    private static final class Minute {
        final long minute;
        final LongAdder requests = new LongAdder();
        final LongAdder errors4xx = new LongAdder();
        final LongAdder errors5xx = new LongAdder();
        final LongAdder rateLimited = new LongAdder();
        final LongAdder cacheHits = new LongAdder();
        final LongAdder cacheMisses = new LongAdder();
        final LongAdder promptTokens = new LongAdder();
        final LongAdder completionTokens = new LongAdder();
        final LongAdder costMicros = new LongAdder();
        final LatencyHistogram latency = new LatencyHistogram();
        final LatencyHistogram ttft = new LatencyHistogram();

        Minute(long minute) {
            this.minute = minute;
        }
    }

    /** Ten minutes of per-dimension totals, each map capped at {@link #MAX_KEYS} keys. */
    private static final class Slot {
        final long slot;
        final ConcurrentHashMap<String, Dim> models = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, Dim> routes = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, Dim> consumers = new ConcurrentHashMap<>();

        Slot(long slot) {
            this.slot = slot;
        }

        void add(ConcurrentHashMap<String, Dim> map, String key, boolean error, long prompt, long completion,
                 double cost, LongAdder folded) {
            Dim d = map.get(key);
            if (d == null) {
                if (map.size() >= MAX_KEYS) {
                    folded.increment();
                    key = OTHER;
                }
                if (key.length() > 128) {
                    key = key.substring(0, 128); // names are client input: cut them as APISIX cuts labels
                }
                d = map.computeIfAbsent(key, k -> new Dim());
            }
            d.requests.increment();
            if (error) {
                d.errors.increment();
            }
            d.prompt.add(prompt);
            d.completion.add(completion);
            d.costMicros.add(Math.round(cost * 1_000_000));
        }

        void sumInto(ConcurrentHashMap<String, Dim> from, Map<String, long[]> into) {
            from.forEach((k, d) -> {
                long[] v = into.computeIfAbsent(k, x -> new long[5]);
                v[0] += d.requests.sum();
                v[1] += d.errors.sum();
                v[2] += d.prompt.sum();
                v[3] += d.completion.sum();
                v[4] += d.costMicros.sum();
            });
        }
    }

    private static final class Dim {
        final LongAdder requests = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder prompt = new LongAdder();
        final LongAdder completion = new LongAdder();
        final LongAdder costMicros = new LongAdder();
    }

    /** One finished request, as the slowest and failed lists show it. */
    record Sample(long time, String requestId, String route, String consumer, String model, String method,
                  String path, int status, double latencyMs, double ttftMs, long promptTokens,
                  long completionTokens, double cost, String upstream, String instance, String attempts,
                  String cache) {
        JsonObject toJson() {
            return new JsonObject().put("time", time).put("request_id", requestId).put("route", route)
                    .put("consumer", consumer).put("model", model).put("method", method)
                    .put("path", path.length() > 256 ? path.substring(0, 256) : path).put("status", status)
                    .put("latency_ms", latencyMs).put("ttft_ms", ttftMs > 0 ? ttftMs : null)
                    .put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("cost", cost).put("upstream", upstream).put("instance", instance)
                    .put("attempts", attempts).put("cache", cache);
        }
    }

    /** A lock-free ring of the last {@code size} samples. */
    private static final class Recent {
        private final AtomicReferenceArray<Sample> ring;
        private final AtomicLong next = new AtomicLong();

        Recent(int size) {
            ring = new AtomicReferenceArray<>(size);
        }

        void add(Sample s) {
            ring.set((int) (next.getAndIncrement() % ring.length()), s);
        }

        /** The samples at or after {@code since} (epoch ms), oldest first. */
        List<Sample> since(long since) {
            List<Sample> out = new ArrayList<>(ring.length());
            for (int i = 0; i < ring.length(); i++) {
                Sample s = ring.get(i);
                if (s != null && s.time() >= since) {
                    out.add(s);
                }
            }
            out.sort(Comparator.comparingLong(Sample::time));
            return out;
        }
    }
}
