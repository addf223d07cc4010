package dev.aigw.plugins.limitcount;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.LimitKeys;
import dev.aigw.gateway.limit.LocalCounters;
import dev.aigw.gateway.limit.PolicyRef;
import dev.aigw.gateway.limit.RedisSchema;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * APISIX's {@code limit-count} (priority 1002): counts requests per key in a fixed or sliding window
 * and refuses past {@code count} with {@code rejected_code} (503 by default). Keys, counters, headers
 * ({@code X-RateLimit-Limit|Remaining|Reset}, renamable through plugin metadata) and
 * {@code $rate_limiting_info} are APISIX's; policies {@code local} (this process) and
 * {@code redis} / {@code redis-cluster} / {@code redis-sentinel} (shared by every node).
 */
public final class LimitCountPlugin implements Plugin<LimitCountPlugin.Config> {

    public static final String NAME = "limit-count";
    public static final int PRIORITY = 1002;

    static final RateLimit.Headers DEFAULT_HEADERS =
            new RateLimit.Headers("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset");

    static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "count": %1$s,
                "time_window": %1$s,
                "window_type": {"type": "string", "enum": ["fixed", "sliding"], "default": "fixed"},
                %4$s,
                "group": {"type": "string"},
                "key": {"type": "string", "default": "remote_addr"},
                "key_type": {"type": "string", "enum": ["var", "var_combination", "constant"], "default": "var"},
                "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
                "rejected_msg": {"type": "string", "minLength": 1},
                %2$s,
                "show_limit_quota_header": {"type": "boolean", "default": true},
                "sync_interval": {"type": "number", "default": -1}
              },
              "anyOf": [{"required": ["count", "time_window"]}, {"required": ["rules"]}],
              %3$s
            }
            """.formatted(RedisSchema.INT_OR_VAR, RedisSchema.POLICY_PROPERTIES, RedisSchema.CONDITIONAL,
                    RateLimit.RULES_SCHEMA);

    static final String METADATA_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "limit_header": {"type": "string", "default": "X-RateLimit-Limit"},
                "remaining_header": {"type": "string", "default": "X-RateLimit-Remaining"},
                "reset_header": {"type": "string", "default": "X-RateLimit-Reset"}
              }
            }
            """;

    /** A parsed configuration. */
    public record Config(RateLimit.Spec spec) {
    }

    private PluginEnv env;
    private LocalCounters local;
    /** The last metadata seen and its header names: metadata changes rarely, requests often. */
    private volatile Object[] metaHeaders = {null, DEFAULT_HEADERS};

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
    public String metadataSchema() {
        return METADATA_SCHEMA;
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.local = RateLimit.init(env, name());
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        boolean hasRules = conf.containsKey("rules");
        if (hasRules && (conf.containsKey("count") || conf.containsKey("time_window"))) {
            throw new PluginConfigException("count/time_window and rules cannot be specified at the same time");
        }
        if (hasRules && conf.containsKey("group")) {
            throw new PluginConfigException("group and rules cannot be specified at the same time");
        }
        String policy = conf.getString("policy", "local");
        double sync = conf.getDouble("sync_interval", -1.0);
        if (!"local".equals(policy) && sync != -1) {
            if (sync < 0.1) {
                throw new PluginConfigException("sync_interval should not be smaller than 0.1");
            }
            if (conf.getValue("time_window") instanceof Number tw && sync >= tw.doubleValue()) {
                throw new PluginConfigException("sync_interval should be smaller than time_window");
            }
        }
        List<RateLimit.Rule> rules = hasRules ? RateLimit.rules(conf.getJsonArray("rules"))
                : List.of(new RateLimit.Rule(RateLimit.number(conf.getValue("count")),
                        RateLimit.number(conf.getValue("time_window")), conf.getString("key", "remote_addr"),
                        conf.getString("key_type", "var"), null));
        return new Config(new RateLimit.Spec(rules, hasRules, conf.getInteger("rejected_code", 503),
                conf.getString("rejected_msg"), conf.getBoolean("allow_degradation", false),
                conf.getBoolean("show_limit_quota_header", true), "sliding".equals(conf.getString("window_type")),
                conf.getString("group"), LimitKeys.confVersion(conf), null, null,
                PolicyRef.of(conf, local, env, NAME)));
    }

    @Override
    public void release(Config conf) {
        conf.spec().policy().release();
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        RateLimit.Spec spec = conf.spec();
        List<RateLimit.Applied> applied;
        try {
            applied = RateLimit.resolve(spec, ctx, headers());
        } catch (RateLimit.ResolveException e) {
            org.slf4j.LoggerFactory.getLogger(LimitCountPlugin.class).error("failed to get rate limit rules: {}",
                    e.getMessage());
            if (!spec.allowDegradation()) {
                ctx.exit(500, (String) null);
            }
            return Future.succeededFuture();
        }
        if (applied.isEmpty()) {
            return Future.succeededFuture();
        }
        return RateLimit.check(spec, ctx, applied, RateLimit.Mode.COMMIT, 1, null).map(reject -> {
            if (reject != null) {
                reject.send(ctx);
            }
            return null;
        });
    }

    private RateLimit.Headers headers() {
        JsonObject meta = env == null ? null : env.pluginMetadata(NAME);
        Object[] cached = metaHeaders;
        if (cached[0] == meta) {
            return (RateLimit.Headers) cached[1];
        }
        RateLimit.Headers h = meta == null ? DEFAULT_HEADERS : new RateLimit.Headers(
                meta.getString("limit_header", DEFAULT_HEADERS.limit()),
                meta.getString("remaining_header", DEFAULT_HEADERS.remaining()),
                meta.getString("reset_header", DEFAULT_HEADERS.reset()));
        metaHeaders = new Object[] {meta, h};
        return h;
    }

    @Override
    public Future<Void> close() {
        if (local != null) {
            local.close();
        }
        return Future.succeededFuture();
    }
}
