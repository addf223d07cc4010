package dev.aigw.plugins.limitcount;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.CounterPolicy;
import dev.aigw.gateway.limit.Count;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.limit.LocalCounters;
import dev.aigw.gateway.limit.PolicyRef;
import dev.aigw.gateway.limit.RedisSchema;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * APISIX's {@code limit-count/init.lua} {@code rate_limit}: turns a parsed configuration and a request
 * into the counters that apply (rules, keys, counter keys), runs the check on the configuration's
 * policy, sets the quota headers and {@code $rate_limiting_info}, and says whether to reject.
 * Shared by limit-count and ai-rate-limiting.
 */
public final class RateLimit {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimit.class);

    /** The variable APISIX sets on every check. */
    public static final String VAR_INFO = "rate_limiting_info";

    /** The {@code "rules"} property entry (no trailing comma) of limit-count and ai-rate-limiting. */
    public static final String RULES_SCHEMA = """
            "rules": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "count": %1$s,
                  "time_window": %1$s,
                  "key": {"type": "string"},
                  "header_prefix": {"type": "string"}
                },
                "required": ["count", "time_window", "key"]
              }
            }""".formatted(RedisSchema.INT_OR_VAR).strip();

    private RateLimit() {
    }

    /**
     * What a counting plugin sets up at init: its in-process counters (the {@code local} policy) and
     * the {@code $rate_limiting_info} variable (unset until a check ran). Keys the counters' cap
     * turned away are exported as the cap {@code <plugin>.keys}.
     */
    public static LocalCounters init(PluginEnv env, String plugin) {
        if (!env.variables().isKnown(VAR_INFO)) {
            env.variables().register(VAR_INFO, ctx -> null);
        }
        LocalCounters local = new LocalCounters(env.vertx(), LocalCounters.DEFAULT_MAX_KEYS);
        env.metrics().capOverflows(plugin + ".keys", local::dropped);
        return local;
    }

    /** Names of the three quota headers. */
    public record Headers(String limit, String remaining, String reset) {

        /** APISIX inserts a rule's prefix before {@code RateLimit-}: {@code X-AI-1-RateLimit-Limit}. */
        public Headers withPrefix(String prefix) {
            return new Headers(insert(limit, prefix), insert(remaining, prefix), insert(reset, prefix));
        }

        private static String insert(String h, String prefix) {
            int i = h.indexOf("RateLimit-");
            return i < 0 ? h : h.substring(0, i) + prefix + "-" + h.substring(i);
        }
    }

    /**
     * One configured limit. {@code count} and {@code window} are a {@link Long} or a variable
     * template such as {@code "$http_x_limit"}; {@code keyType} is var / var_combination / constant.
     */
    public record Rule(Object count, Object window, String key, String keyType, String headerPrefix) {
    }

    /** A limit that applies to this request: the full counter key, numbers resolved, header names. */
    public record Applied(String key, long limit, long window, Headers headers) {
    }

    /** A refusal to send: status and optional {@code {"error_msg": …}} body. */
    public record Reject(int status, JsonObject body) {
        public void send(RequestContext ctx) {
            if (body != null) {
                ctx.exit(status, body);
            } else {
                ctx.exit(status, (String) null);
            }
        }
    }

    /** What a check does to the counter. */
    public enum Mode {
        /** limit-count: add the cost, refuse past the limit (fixed or sliding window). */
        COMMIT,
        /** ai-rate-limiting as APISIX: read only; refuse when nothing is left. */
        PEEK,
        /** aigw's reservation: add the cost only if it fits, refuse otherwise. */
        RESERVE
    }

    /**
     * A parsed configuration as the core needs it.
     *
     * @param rules       the configured rules (one built from count/time_window/key when there are no rules)
     * @param ruleMode    whether {@code rules} were configured (a rule whose variables are all empty is skipped)
     * @param confVersion CRC32 of the canonical configuration: a changed configuration starts new counters
     * @param vid         ai-rate-limiting's per-instance suffix, or null
     * @param headers     the base header names (null: from plugin metadata / defaults at request time)
     */
    public record Spec(List<Rule> rules, boolean ruleMode, int rejectedCode, String rejectedMsg,
                       boolean allowDegradation, boolean showHeaders, boolean sliding, String group,
                       String confVersion, String vid, Headers headers, PolicyRef policy) {
    }

    // ------------------------------------------------------------------ configuration

    /** count / time_window / limit as configured: a Long or a variable template. */
    public static Object number(Object v) {
        return v instanceof Number n ? (Object) n.longValue() : v;
    }

    /** The rules of {@code rules[]}, with APISIX's errors for duplicate keys. */
    public static List<Rule> rules(JsonArray rules) throws dev.aigw.gateway.plugin.PluginConfigException {
        List<Rule> out = new ArrayList<>();
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            JsonObject r = rules.getJsonObject(i);
            String key = r.getString("key");
            if (!keys.add(key)) {
                throw new dev.aigw.gateway.plugin.PluginConfigException("duplicate key '" + key + "' in rules");
            }
            String prefix = r.getString("header_prefix", Integer.toString(i + 1));
            out.add(new Rule(number(r.getValue("count")), number(r.getValue("time_window")), key, "constant", prefix));
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ request

    /** Thrown by {@link #resolve} when a variable count or window is not a positive integer. */
    public static final class ResolveException extends Exception {
        ResolveException(String message) {
            super(message, null, false, false);
        }
    }

    /** The limits that apply to this request, in order; empty when no rule applies. */
    public static List<Applied> resolve(Spec spec, RequestContext ctx, Headers base) throws ResolveException {
        List<Applied> out = new ArrayList<>(spec.rules().size());
        for (Rule r : spec.rules()) {
            String key;
            if (spec.ruleMode()) {
                int[] n = {0};
                key = LimitKeys.template(ctx, r.key(), n);
                if (n[0] == 0) {
                    continue; // keyed on variables this request does not have: the rule does not apply
                }
            } else {
                key = LimitKeys.value(ctx, r.key(), r.keyType());
            }
            long count = positive(ctx, r.count());
            long window = positive(ctx, r.window());
            Headers h = r.headerPrefix() != null && spec.ruleMode() ? base.withPrefix(r.headerPrefix()) : base;
            out.add(new Applied(counterKey(spec, ctx, key), count, window, h));
        }
        return out;
    }

    private static String counterKey(Spec spec, RequestContext ctx, String key) {
        if (spec.group() != null) {
            return spec.group() + ":" + key;
        }
        String k = LimitKeys.counterKey(ctx, spec.confVersion(), key);
        return spec.vid() == null ? k : k + ":" + spec.vid();
    }

    private static long positive(RequestContext ctx, Object v) throws ResolveException {
        if (v instanceof Long l) {
            return l;
        }
        String s = LimitKeys.template(ctx, (String) v, new int[1]);
        double d;
        try {
            d = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new ResolveException("resolved value is not a number");
        }
        if (d <= 0) {
            throw new ResolveException("resolved value must be a positive number, got: " + s);
        }
        if (d != Math.floor(d)) {
            throw new ResolveException("resolved value must be an integer, got: " + s);
        }
        if (d > 9007199254740991.0) {
            throw new ResolveException("resolved value exceeds safe integer range (2^53-1), got: " + s);
        }
        return (long) d;
    }

    /**
     * Runs the check of every applied limit in order (APISIX stops at the first refusal). Completes
     * with null to let the request pass, or the refusal. A store failure passes with
     * {@code allow_degradation}, else refuses with 500.
     *
     * @param costs per applied limit, what to add (COMMIT / RESERVE) or need (PEEK: 1)
     * @param taken receives, per applied limit, the count as checked (null entries for skipped ones)
     */
    public static Future<Reject> check(Spec spec, RequestContext ctx, List<Applied> applied, Mode mode, long cost,
                                       List<Count> taken) {
        return step(spec, ctx, applied, mode, cost, taken, 0);
    }

    private static Future<Reject> step(Spec spec, RequestContext ctx, List<Applied> applied, Mode mode, long cost,
                                       List<Count> taken, int i) {
        if (i >= applied.size()) {
            return Future.succeededFuture();
        }
        Applied a = applied.get(i);
        CounterPolicy p;
        try {
            p = spec.policy().get();
        } catch (RuntimeException e) {
            return Future.succeededFuture(failed(spec, e));
        }
        Future<Count> f = switch (mode) {
            case COMMIT -> spec.sliding() ? p.sliding(a.key(), a.limit(), a.window(), cost)
                    : p.incoming(a.key(), a.limit(), a.window(), cost);
            case PEEK -> p.incoming(a.key(), a.limit(), a.window(), 0);
            case RESERVE -> p.reserve(a.key(), a.limit(), a.window(), cost);
        };
        return f.transform(ar -> {
            if (ar.failed()) {
                return Future.succeededFuture(failed(spec, ar.cause()));
            }
            Count c = ar.result();
            boolean ok = switch (mode) {
                case COMMIT, RESERVE -> c.accepted();
                case PEEK -> a.limit() - c.consumed() - cost >= 0;
            };
            long remaining = switch (mode) {
                case COMMIT, PEEK -> c.remaining(a.limit());
                // shown as APISIX shows it: what was left before this request
                case RESERVE -> Math.max(0, a.limit() - c.consumed() + (ok ? cost : 0));
            };
            ctx.setVar(VAR_INFO, new Info(a.key(), a.limit(), ok ? remaining : -1, c.resetSeconds()));
            if (spec.showHeaders() && !ctx.headSent()) {
                MultiMap h = ctx.response().headers();
                h.set(a.headers().limit(), Long.toString(a.limit()));
                h.set(a.headers().remaining(), Long.toString(ok ? remaining : 0));
                h.set(a.headers().reset(), seconds(c.resetSeconds()));
            }
            if (!ok) {
                return Future.succeededFuture(reject(spec));
            }
            if (taken != null) {
                taken.add(c);
            }
            return step(spec, ctx, applied, mode, cost, taken, i + 1);
        });
    }

    /** The configured refusal: {@code rejected_code} with {@code {"error_msg": rejected_msg}} if set. */
    public static Reject reject(Spec spec) {
        return new Reject(spec.rejectedCode(),
                spec.rejectedMsg() == null ? null : new JsonObject().put("error_msg", spec.rejectedMsg()));
    }

    /** A store that could not answer: pass with allow_degradation, else 500. */
    public static Reject failed(Spec spec, Throwable err) {
        LOG.error("failed to limit count: {}", err.toString());
        return spec.allowDegradation() ? null : new Reject(500, new JsonObject().put("error_msg", "failed to limit count"));
    }

    /** Lua's number formatting: 60 → "60", 59.5 → "59.5". */
    static String seconds(double v) {
        if (v == Math.rint(v)) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /**
     * {@code $rate_limiting_info}, rendered as APISIX's JSON only when read (a log line, a logger).
     * A refused check reports {@code "rejected"} as the remaining value, as APISIX does.
     */
    public record Info(String key, long limit, long remaining, double reset) {
        @Override
        public String toString() {
            return new JsonObject().put("rate_limiting_key", key).put("rate_limiting_limit", limit)
                    .put("rate_limiting_remaining", remaining < 0 ? (Object) "rejected" : (Object) remaining)
                    .put("rate_limiting_reset", reset == Math.rint(reset) ? (Object) (long) reset : (Object) reset)
                    .encode();
        }
    }
}
