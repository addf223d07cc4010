package dev.aigw.plugins.airatelimiting;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.Count;
import dev.aigw.gateway.limit.CounterPolicy;
import dev.aigw.gateway.limit.InstanceGate;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.limit.LocalCounters;
import dev.aigw.gateway.limit.PolicyRef;
import dev.aigw.gateway.limit.RedisSchema;
import dev.aigw.gateway.metrics.Gauge;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.plugins.limitcount.RateLimit;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * APISIX's {@code ai-rate-limiting} (priority 1030): token budgets per LLM instance
 * ({@code instances[]}), per key ({@code rules}, e.g. {@code "$consumer_name"}) or for the route
 * ({@code limit} / {@code time_window}, counted per instance), with APISIX's schema, headers
 * ({@code X-AI-RateLimit-Limit|Remaining|Reset-<instance>}, {@code X-AI-<n>-RateLimit-*} for rules),
 * rejection ({@code rejected_code}, default 503) and policies (local, Redis).
 *
 * <p>Beyond APISIX, {@code reserve} (default true): before the call, the request's tokens are
 * estimated (prompt counted with a tokenizer, completion from {@code max_completion_tokens} /
 * {@code max_tokens} or {@code reserve_completion_tokens}) and reserved atomically; a reservation that
 * does not fit is refused, so concurrent requests cannot overshoot the budget by their answers. After
 * the answer (stream, error or client abort alike) the reservation is settled to the real usage.
 * {@code reserve: false} is APISIX's behaviour: refuse only once the budget is spent, count after.
 *
 * <p>The instance: ai-proxy names it {@code ai-proxy-<provider>} in its access phase (variable
 * {@code balancer_ip}, as APISIX); ai-proxy-multi picks later, so this plugin hands it an
 * {@link InstanceGate} that it asks before each attempt (and, with {@code fallback_strategy}
 * {@code rate_limiting}, skips instances whose budget is spent).
 */
public final class AiRateLimitingPlugin implements Plugin<AiRateLimitingPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(AiRateLimitingPlugin.class);

    public static final String NAME = "ai-rate-limiting";
    public static final int PRIORITY = 1030;

    /** The picked instance, as APISIX's {@code ctx.balancer_ip}. */
    static final String VAR_INSTANCE = "balancer_ip";

    /** Completion tokens reserved when the request names no maximum. */
    static final int DEFAULT_RESERVE_COMPLETION = 256;

    private static final Object STATE = new Object();

    static final RateLimit.Headers RULE_HEADERS =
            new RateLimit.Headers("X-AI-RateLimit-Limit", "X-AI-RateLimit-Remaining", "X-AI-RateLimit-Reset");

    static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "limit": %1$s,
                "time_window": %1$s,
                "show_limit_quota_header": {"type": "boolean", "default": true},
                "limit_strategy": {"type": "string", "enum": ["total_tokens", "prompt_tokens", "completion_tokens", "expression"], "default": "total_tokens"},
                "cost_expr": {"type": "string", "minLength": 1},
                "instances": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": "object",
                    "properties": {
                      "name": {"type": "string"},
                      "limit": {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]},
                      "time_window": {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}
                    },
                    "required": ["name", "limit", "time_window"]
                  }
                },
                "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
                "rejected_msg": {"type": "string", "minLength": 1},
                %2$s,
                %4$s,
                "reserve": {"type": "boolean", "default": true},
                "reserve_completion_tokens": {"type": "integer", "minimum": 0, "default": 256}
              },
              "dependencies": {"limit": ["time_window"], "time_window": ["limit"]},
              "oneOf": [
                {"anyOf": [{"required": ["limit", "time_window"]}, {"required": ["instances"]}]},
                {"required": ["rules"]}
              ],
              %3$s
            }
            """.formatted(RedisSchema.INT_OR_VAR, RedisSchema.POLICY_PROPERTIES, RedisSchema.CONDITIONAL,
                    RateLimit.RULES_SCHEMA);

    /**
     * A parsed configuration.
     *
     * @param rules      the rules' spec, or null
     * @param instances  per instance name, its spec
     * @param global     the top-level limit (count, window), or null; its specs are made per instance on demand
     * @param perGlobal  the specs of the top-level limit by instance name (bounded by the instance names a route has)
     */
    public record Config(String strategy, CostExpr.Node costExpr, boolean reserve, long reserveCompletion,
                         RateLimit.Spec rules, Map<String, RateLimit.Spec> instances, RateLimit.Rule global,
                         ConcurrentMap<String, RateLimit.Spec> perGlobal, RateLimit.Spec template, PolicyRef policy) {

        /** APISIX's choice: rules, else the instance's own limit, else the top-level one. */
        RateLimit.Spec select(String instance) {
            if (rules != null) {
                return rules;
            }
            RateLimit.Spec s = instances.get(instance);
            if (s != null || global == null) {
                return s;
            }
            return perGlobal.computeIfAbsent(instance, name -> withHeaders(template, name,
                    List.of(new RateLimit.Rule(global.count(), global.window(), NAME + "#global", "constant", null))));
        }
    }

    private PluginEnv env;
    private LocalCounters local;
    private TokenEstimator estimator;
    private final SettleBatcher settles = new SettleBatcher();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    /** As APISIX's schema: stored encrypted with {@code data_encryption}, plain in Admin GET. */
    @Override
    public List<String> encryptFields() {
        return List.of("redis_password", "sentinel_password");
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.local = RateLimit.init(env, NAME);
        this.estimator = new TokenEstimator(env.vertx(), TokenEstimator.cacheChars(env.pluginAttr(NAME)));
        if (env.metrics() != null) {
            Gauge g = env.metrics().gauge("ai_rate_limiting_token_count_cache",
                    "ai-rate-limiting's cache of prompt token counts: hits, misses, evictions since start, chars held",
                    List.of("stat"), 0);
            TokenEstimator est = estimator;
            env.metrics().beforeScrape(() -> {
                CacheStats s = est.stats();
                if (s != null) {
                    g.set(s.hitCount(), "hits");
                    g.set(s.missCount(), "misses");
                    g.set(s.evictionCount(), "evictions");
                    g.set(est.cachedChars(), "chars");
                }
                return Future.succeededFuture();
            });
        }
        if (!env.variables().isKnown(VAR_INSTANCE)) {
            env.variables().register(VAR_INSTANCE, ctx -> null);
        }
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        String strategy = conf.getString("limit_strategy", "total_tokens");
        CostExpr.Node expr = null;
        if ("expression".equals(strategy)) {
            String src = conf.getString("cost_expr");
            if (src == null || src.isEmpty()) {
                throw new PluginConfigException("cost_expr is required when limit_strategy is 'expression'");
            }
            try {
                expr = CostExpr.compile(src);
            } catch (IllegalArgumentException e) {
                throw new PluginConfigException("invalid cost_expr: " + e.getMessage());
            }
        }
        PolicyRef policy = PolicyRef.of(conf, local, env, NAME);
        String version = LimitKeys.confVersion(conf);
        RateLimit.Spec template = new RateLimit.Spec(List.of(), false, conf.getInteger("rejected_code", 503),
                conf.getString("rejected_msg"), conf.getBoolean("allow_degradation", false),
                conf.getBoolean("show_limit_quota_header", true), false, null, version, null, RULE_HEADERS, policy);
        RateLimit.Spec rules = null;
        JsonArray ruleArr = conf.getJsonArray("rules");
        if (ruleArr != null && !ruleArr.isEmpty()) {
            rules = new RateLimit.Spec(RateLimit.rules(ruleArr), true, template.rejectedCode(), template.rejectedMsg(),
                    template.allowDegradation(), template.showHeaders(), false, null, version, null, RULE_HEADERS,
                    policy);
        }
        Map<String, RateLimit.Spec> instances = new HashMap<>();
        for (Object o : conf.getJsonArray("instances", new JsonArray())) {
            JsonObject i = (JsonObject) o;
            String name = i.getString("name");
            instances.put(name, withHeaders(template, name, List.of(new RateLimit.Rule(RateLimit.number(i.getValue("limit")),
                    RateLimit.number(i.getValue("time_window")), name, "constant", null))));
        }
        RateLimit.Rule global = conf.containsKey("limit")
                ? new RateLimit.Rule(RateLimit.number(conf.getValue("limit")), RateLimit.number(conf.getValue("time_window")),
                        NAME + "#global", "constant", null)
                : null;
        return new Config(strategy, expr, conf.getBoolean("reserve", true),
                conf.getInteger("reserve_completion_tokens", DEFAULT_RESERVE_COMPLETION), rules, Map.copyOf(instances),
                global, new ConcurrentHashMap<>(), template, policy);
    }

    /** An instance's spec: counters of its own ({@code vid}), headers suffixed with its name. */
    static RateLimit.Spec withHeaders(RateLimit.Spec t, String instance, List<RateLimit.Rule> rules) {
        return new RateLimit.Spec(rules, false, t.rejectedCode(), t.rejectedMsg(), t.allowDegradation(),
                t.showHeaders(), false, null, t.confVersion(), instance,
                new RateLimit.Headers("X-AI-RateLimit-Limit-" + instance, "X-AI-RateLimit-Remaining-" + instance,
                        "X-AI-RateLimit-Reset-" + instance), t.policy());
    }

    @Override
    public void release(Config conf) {
        conf.policy().release();
    }

    // ------------------------------------------------------------------ request

    /** What one request holds: its reservations, whether it was refused, the gate for ai-proxy-multi. */
    private final class State implements InstanceGate {
        final Config conf;
        final List<Held> held = new ArrayList<>(2);
        boolean rejected;
        boolean rulesChecked;
        /** Set by the log phase: a reservation that completes after it is given back at once. */
        boolean logged;
        long promptEstimate;
        RateLimit.Reject lastReject;
        /** The resource this configuration belongs to: ai-proxy-multi asks from its own phase. */
        final String owner;

        State(Config conf, String owner) {
            this.conf = conf;
            this.owner = owner;
        }

        @Override
        public Future<Boolean> admit(RequestContext ctx, String instance) {
            return check(this, ctx, instance).map(rej -> {
                if (rej == null) {
                    return true;
                }
                lastReject = rej;
                return false;
            });
        }

        @Override
        public void refuse(RequestContext ctx) {
            rejected = true;
            (lastReject != null ? lastReject : RateLimit.reject(conf.template())).send(ctx);
        }
    }

    /**
     * One reservation: the limits it was taken on, how much, and when each limit's window ends
     * ({@link System#currentTimeMillis()} clock, as the reservation saw it).
     */
    private record Held(String instance, List<RateLimit.Applied> applied, long cost, long[] endMs) {
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        State st = new State(conf, ctx.pluginOwner());
        ctx.put(STATE, st);
        String instance = ctx.varString(VAR_INSTANCE);
        if (instance == null) {
            // ai-proxy-multi picks its instance later: it asks at each attempt
            ctx.put(InstanceGate.KEY, st);
            return Future.succeededFuture();
        }
        return check(st, ctx, instance).map(rej -> {
            if (rej != null) {
                st.rejected = true;
                rej.send(ctx);
            }
            return null;
        });
    }

    /** Checks (or reserves on) the limits that apply to {@code instance}; null to pass, or the refusal. */
    private Future<RateLimit.Reject> check(State st, RequestContext ctx, String instance) {
        Config conf = st.conf;
        if (conf.rules() != null && st.rulesChecked) {
            return Future.succeededFuture(); // rules are per key, not per instance: once per request
        }
        for (Held h : st.held) {
            if (h.instance().equals(instance)) {
                return Future.succeededFuture(); // ai-proxy-multi trying an instance again: already reserved
            }
        }
        RateLimit.Spec spec = conf.select(instance);
        if (spec == null) {
            return Future.succeededFuture();
        }
        List<RateLimit.Applied> applied;
        String running = ctx.pluginOwner(); // ai-proxy-multi's, when it asks through the gate
        ctx.pluginOwner(st.owner);
        try {
            applied = RateLimit.resolve(spec, ctx, spec.headers());
        } catch (RateLimit.ResolveException e) {
            LOG.error("failed to get rate limit rules: {}", e.getMessage());
            return Future.succeededFuture(spec.allowDegradation() ? null : new RateLimit.Reject(500, null));
        } finally {
            ctx.pluginOwner(running);
        }
        st.rulesChecked = true;
        if (applied.isEmpty()) {
            return Future.succeededFuture();
        }
        if (!conf.reserve()) {
            return RateLimit.check(spec, ctx, applied, RateLimit.Mode.PEEK, 1, null);
        }
        return estimate(st, ctx).compose(cost -> {
            List<Count> taken = new ArrayList<>(applied.size());
            return RateLimit.check(spec, ctx, applied, RateLimit.Mode.RESERVE, cost, taken).map(rej -> {
                List<RateLimit.Applied> got = applied.subList(0, taken.size());
                long now = System.currentTimeMillis();
                long[] ends = new long[taken.size()];
                for (int i = 0; i < ends.length; i++) {
                    ends[i] = now + taken.get(i).resetMs();
                }
                if (rej != null || st.logged) {
                    // an earlier rule reserved and a later one refused, or the client left while the
                    // reservation was on its way and the log phase has already run: give it back
                    settle(spec.policy(), got, ends, -cost);
                } else if (!got.isEmpty()) {
                    st.held.add(new Held(instance, List.copyOf(got), cost, ends));
                }
                return rej;
            });
        });
    }

    /** The reservation: the estimated prompt and the completion the request allows, by strategy. */
    private Future<Long> estimate(State st, RequestContext ctx) {
        Config conf = st.conf;
        JsonObject body = ctx.jsonBody();
        Long max = body == null ? null : TokenEstimator.completionLimit(body);
        long completion = max != null ? max : conf.reserveCompletion();
        if ("completion_tokens".equals(conf.strategy())) {
            return Future.succeededFuture(completion);
        }
        if (body == null) {
            return Future.succeededFuture("prompt_tokens".equals(conf.strategy()) ? 0L : completion);
        }
        String model = ctx.varString("llm_model");
        if (model == null) {
            model = ctx.varString("request_llm_model");
        }
        return estimator.promptTokens(body, model).transform(ar -> {
            long prompt = ar.succeeded() ? ar.result() : 0;
            if (ar.failed()) {
                LOG.warn("ai-rate-limiting: prompt tokens not estimated: {}", ar.cause().toString());
            }
            st.promptEstimate = prompt;
            return Future.succeededFuture("prompt_tokens".equals(conf.strategy()) ? prompt : prompt + completion);
        });
    }

    /** Corrects each limit of a reservation by {@code delta}: at once in this process, group-committed on Redis. */
    private void settle(PolicyRef ref, List<RateLimit.Applied> applied, long[] endMs, long delta) {
        if (delta == 0 || applied.isEmpty()) {
            return;
        }
        CounterPolicy p;
        try {
            p = ref.get();
        } catch (RuntimeException e) {
            return;
        }
        for (int i = 0; i < applied.size(); i++) {
            RateLimit.Applied a = applied.get(i);
            if (ref.isRedis()) {
                settles.settle(p, a.key(), a.window(), endMs[i], delta);
            } else {
                p.settle(a.key(), a.window(), delta).onFailure(e ->
                        LOG.error("ai-rate-limiting: failed to settle {} tokens: {}", delta, e.toString()));
            }
        }
    }

    @Override
    public void log(Config conf, RequestContext ctx) {
        State st = ctx.get(STATE);
        if (st != null) {
            st.logged = true;
        }
        if (st == null || st.rejected) {
            return; // refused requests are not counted (APISIX's ctx.ai_rate_limiting)
        }
        String served = ctx.varString(VAR_INSTANCE);
        Long used = usage(conf, ctx);
        if (!st.held.isEmpty()) {
            for (Held h : st.held) {
                long actual = 0;
                if (conf.rules() != null || h.instance().equals(served)) {
                    if (used != null) {
                        actual = used;
                    } else if (answered(ctx) && !"completion_tokens".equals(conf.strategy())) {
                        // the provider took the prompt but no usage came back (the client left mid-stream)
                        actual = st.promptEstimate;
                    }
                }
                settle(conf.policy(), h.applied(), h.endMs(), actual - h.cost());
            }
            return;
        }
        // APISIX's behaviour (reserve: false, or a degraded check): count the real usage now
        if (served == null || used == null || used == 0) {
            return;
        }
        RateLimit.Spec spec = conf.select(served);
        if (spec == null) {
            return;
        }
        List<RateLimit.Applied> applied;
        CounterPolicy p;
        try {
            applied = RateLimit.resolve(spec, ctx, spec.headers());
            p = conf.policy().get();
        } catch (RateLimit.ResolveException | RuntimeException e) {
            return;
        }
        for (RateLimit.Applied a : applied) {
            p.incoming(a.key(), a.limit(), a.window(), used).onFailure(e ->
                    LOG.error("failed to sync limit count in log phase: {}", e.toString()));
        }
    }

    private static boolean answered(RequestContext ctx) {
        Object s = ctx.var("upstream_status");
        long st = number(s);
        return st >= 200 && st < 300;
    }

    /** The request's cost by {@code limit_strategy}, from the usage ai-proxy reported; null when none. */
    static Long usage(Config conf, RequestContext ctx) {
        Object p = ctx.var("llm_prompt_tokens");
        Object c = ctx.var("llm_completion_tokens");
        Object t = ctx.var("llm_total_tokens");
        if (p == null && c == null && t == null) {
            return null;
        }
        long prompt = number(p);
        long completion = number(c);
        long total = Math.max(number(t), prompt + completion);
        return switch (conf.strategy()) {
            case "prompt_tokens" -> prompt;
            case "completion_tokens" -> completion;
            case "expression" -> {
                Map<String, Double> vars = new HashMap<>();
                vars.put("prompt_tokens", (double) prompt);
                vars.put("input_tokens", (double) prompt);
                vars.put("completion_tokens", (double) completion);
                vars.put("output_tokens", (double) completion);
                vars.put("total_tokens", (double) total);
                try {
                    yield CostExpr.cost(conf.costExpr(), vars);
                } catch (ArithmeticException e) {
                    LOG.error("ai-rate-limiting: {}", e.getMessage());
                    yield null;
                }
            }
            default -> total;
        };
    }

    private static long number(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof String s) {
            try {
                return (long) Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    @Override
    public Future<Void> close() {
        if (local != null) {
            local.close();
        }
        return Future.succeededFuture();
    }
}
