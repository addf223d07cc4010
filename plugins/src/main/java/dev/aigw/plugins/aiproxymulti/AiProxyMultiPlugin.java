package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.crypto.Sha256;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.upstream.health.ActiveCheck;
import dev.aigw.plugins.aiproxy.AiExecutor;
import dev.aigw.plugins.aiproxy.AiInstance;
import dev.aigw.plugins.aiproxy.AiProxyPlugin;
import dev.aigw.plugins.aiproxy.AiVars;
import dev.aigw.plugins.aiproxy.TransportOptions;
import dev.aigw.plugins.aiproxy.provider.Providers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * APISIX's {@code ai-proxy-multi} (priority 1041): ai-proxy over several provider instances with
 * priorities, weighted or consistent-hash balancing, failover on connection failures, timeouts and
 * the statuses named by {@code fallback_strategy}, retries with backoff, and passive and active
 * health checks shared per instance identity.
 *
 * <p>{@code access} reads the request as ai-proxy does and installs a {@link MultiUpstream};
 * {@code log} adds ai-proxy's LLM log fields and {@code ai_proxy_multi} (instance, attempts).
 * Variables: {@code ai_proxy_multi_instance} (also APISIX's {@code balancer_ip}) names the instance
 * that answered, {@code ai_proxy_multi_attempts} counts the attempts; the {@code llm_*} ones are
 * ai-proxy's.
 */
public final class AiProxyMultiPlugin implements Plugin<MultiConfig> {

    public static final String NAME = "ai-proxy-multi";
    public static final int PRIORITY = 1041;

    /** The instance that served the request (or the last one tried). */
    public static final String VAR_INSTANCE = "ai_proxy_multi_instance";
    /** Attempts made for the request. */
    public static final String VAR_ATTEMPTS = "ai_proxy_multi_attempts";
    /** APISIX sets the chosen instance's name as {@code balancer_ip}. */
    public static final String VAR_BALANCER_IP = "balancer_ip";

    private static final String AUTH = """
            {
              "type": "object",
              "properties": {
                "header": {"type": "object", "patternProperties": {"^[a-zA-Z0-9._-]+$": {"type": "string"}}},
                "query": {"type": "object", "patternProperties": {"^[a-zA-Z0-9._-]+$": {"type": "string"}}},
                "aws": {
                  "type": "object",
                  "properties": {
                    "access_key_id": {"type": "string", "minLength": 1},
                    "secret_access_key": {"type": "string", "minLength": 1},
                    "session_token": {"type": "string", "minLength": 1}
                  },
                  "required": ["access_key_id", "secret_access_key"]
                },
                "gcp": {
                  "type": "object",
                  "properties": {
                    "service_account_json": {"type": "string"},
                    "max_ttl": {"type": "integer", "minimum": 1},
                    "expire_early_secs": {"type": "integer", "minimum": 0}
                  }
                }
              },
              "additionalProperties": false
            }""";

    private static final String STATUSES = """
            {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "integer", "minimum": 200, "maximum": 599}}""";

    private static final String ACTIVE = """
            {
              "type": "object",
              "properties": {
                "type": {"type": "string", "enum": ["http", "https", "tcp"]},
                "timeout": {"type": "number", "exclusiveMinimum": 0},
                "concurrency": {"type": "integer"},
                "host": {"type": "string"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "http_method": {"type": "string", "enum": ["GET", "POST", "PUT", "HEAD", "OPTIONS", "PATCH", "DELETE"]},
                "http_path": {"type": "string"},
                "http_req_body": {"type": "string"},
                "https_verify_certificate": {"type": "boolean"},
                "health_check_model": {"type": "string", "minLength": 1},
                "healthy": {
                  "type": "object",
                  "properties": {
                    "interval": {"type": "integer", "minimum": 1},
                    "http_statuses": %1$s,
                    "successes": {"type": "integer", "minimum": 1, "maximum": 254}
                  }
                },
                "unhealthy": {
                  "type": "object",
                  "properties": {
                    "interval": {"type": "integer", "minimum": 1},
                    "http_statuses": %1$s,
                    "http_failures": {"type": "integer", "minimum": 1, "maximum": 254},
                    "tcp_failures": {"type": "integer", "minimum": 1, "maximum": 254},
                    "timeouts": {"type": "integer", "minimum": 1, "maximum": 254}
                  }
                },
                "req_headers": {"type": "array", "minItems": 1, "items": {"type": "string"}}
              }
            }""".formatted(STATUSES);

    static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "balancer": {
                  "type": "object",
                  "properties": {
                    "algorithm": {"type": "string", "enum": ["chash", "roundrobin"]},
                    "hash_on": {"type": "string", "enum": ["vars", "header", "cookie", "consumer", "vars_combinations"]},
                    "key": {"type": "string"}
                  }
                },
                "instances": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": "object",
                    "properties": {
                      "name": {"type": "string", "minLength": 1, "maxLength": 100},
                      "provider": {"type": "string", "enum": %1$s},
                      "priority": {"type": "integer"},
                      "weight": {"type": "integer", "minimum": 0},
                      "auth": %2$s,
                      "options": {"type": "object", "properties": {"model": {"type": "string"}}},
                      "models": {
                        "type": "array", "minItems": 1,
                        "items": {
                          "anyOf": [
                            {"type": "string", "minLength": 1},
                            {
                              "type": "object",
                              "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "model": {"type": "string", "minLength": 1}
                              },
                              "required": ["name"],
                              "additionalProperties": false
                            }
                          ]
                        }
                      },
                      "override": %4$s,
                      "provider_conf": {
                        "type": "object",
                        "properties": {"project_id": {"type": "string"}, "region": {"type": "string", "minLength": 1},
                          "chat_protocol": {"type": "string", "enum": ["openai-chat", "anthropic-messages"]}}
                      },
                      "checks": {
                        "type": "object",
                        "properties": {
                          "active": %3$s,
                          "passive": {
                            "type": "object",
                            "properties": {
                              "unhealthy": {
                                "type": "object",
                                "properties": {"failures": {"type": "integer", "minimum": 1, "maximum": 254}}
                              },
                              "cooldown": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400}
                            }
                          }
                        }
                      }
                    },
                    "required": ["name", "provider", "auth", "weight"]
                  }
                },
                "logging": {
                  "type": "object",
                  "properties": {"summaries": {"type": "boolean"}, "payloads": {"type": "boolean"}}
                },
                "fallback_strategy": {
                  "anyOf": [
                    {"type": "string", "enum": ["instance_health_and_rate_limiting", "http_429", "http_5xx"]},
                    {"type": "array", "items": {"type": "string", "enum": ["rate_limiting", "http_429", "http_5xx"]}}
                  ]
                },
                "fallback_http_statuses": {
                  "type": "array", "minItems": 1, "uniqueItems": true,
                  "items": {"type": "integer", "minimum": 400, "maximum": 599}
                },
                "max_retries": {"type": "integer", "minimum": 0},
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 5},
                "retry_delay": {"type": "integer", "minimum": 0, "maximum": 5000},
                "backoff": {"type": "string", "enum": ["constant", "linear", "exponential"]},
                "retry_on_failure_within_ms": {"type": "integer", "minimum": 1},
                "timeout": {"type": "integer", "minimum": 1, "maximum": 600000},
                "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "max_stream_duration_ms": {"type": "integer", "minimum": 1},
                "max_response_bytes": {"type": "integer", "minimum": 1},
                "keepalive": {"type": "boolean"},
                "keepalive_timeout": {"type": "integer", "minimum": 1000},
                "keepalive_pool": {"type": "integer", "minimum": 1},
                "streaming_flush_interval_ms": {"type": "integer", "minimum": 0},
                "ssl_verify": {"type": "boolean"}
              },
              "required": ["instances"]
            }
            """.formatted(new JsonArray(Providers.names()).encode(), AUTH, ACTIVE,
            dev.aigw.plugins.aiproxy.BodyOverride.SCHEMA);

    private final Function<String, String> env;
    private final HealthRegistry health = new HealthRegistry();

    /** The plugin as discovered by ServiceLoader: the GCP fallback key comes from the process environment. */
    public AiProxyMultiPlugin() {
        this(System::getenv);
    }

    /** With another environment (tests). */
    public AiProxyMultiPlugin(Function<String, String> env) {
        this.env = env;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** APISIX's {@code encrypt_fields}: stored encrypted, decrypted when read. */
    @Override
    public java.util.List<String> encryptFields() {
        return java.util.List.of("instances.auth.header", "instances.auth.query",
                "instances.auth.gcp.service_account_json", "instances.auth.aws.secret_access_key",
                "instances.auth.aws.session_token");
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    /** The shared health state of this plugin instance (diagnostics and tests). */
    public HealthRegistry health() {
        return health;
    }

    @Override
    public void init(PluginEnv pluginEnv) {
        AiVars.register(pluginEnv.variables());
        for (String v : new String[] {VAR_INSTANCE, VAR_ATTEMPTS}) {
            pluginEnv.variables().register(v, ctx -> null);
        }
        if (!pluginEnv.variables().isKnown(VAR_BALANCER_IP)) {
            pluginEnv.variables().register(VAR_BALANCER_IP, ctx -> null);
        }
    }

    @Override
    public MultiConfig parseConfig(JsonObject conf) throws PluginConfigException {
        JsonArray arr = conf.getJsonArray("instances", new JsonArray());
        if (arr.isEmpty()) {
            throw new PluginConfigException("instances: at least one instance is required");
        }
        Map<String, Integer> seen = new HashMap<>();
        List<MultiInstance> instances = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonObject ic = arr.getJsonObject(i);
            String name = ic.getString("name");
            Integer before = seen.putIfAbsent(name, i + 1);
            if (before != null) {
                throw new PluginConfigException("duplicate instance name '" + name + "' at instances["
                        + before + "] and instances[" + (i + 1) + "]");
            }
            AiInstance ai;
            try {
                ai = AiInstance.parse(name, ic, env);
            } catch (PluginConfigException e) {
                throw new PluginConfigException("instance '" + name + "': " + e.getMessage());
            }
            JsonObject checks = ic.getJsonObject("checks", new JsonObject());
            JsonObject activeJson = checks.getJsonObject("active");
            ActiveCheck active = activeJson == null ? null : ActiveCheck.parse(activeJson);
            String probeModel = activeJson == null ? null : activeJson.getString("health_check_model");
            PassiveCheck passive = PassiveCheck.parse(checks.getJsonObject("passive"));
            ModelRoutes models;
            try {
                models = ModelRoutes.parse(ic.getJsonArray("models"));
            } catch (PluginConfigException e) {
                throw new PluginConfigException("instance '" + name + "': " + e.getMessage());
            }
            instances.add(new MultiInstance(i, name, ic.getInteger("priority", 0), ic.getInteger("weight"), ai,
                    healthKey(ic, checks), active, probeModel, passive, models));
        }

        JsonObject balancer = conf.getJsonObject("balancer", new JsonObject());
        boolean chash = "chash".equals(balancer.getString("algorithm", "roundrobin"));
        HashOn hashOn = null;
        if (chash) {
            String on = balancer.getString("hash_on", "vars");
            String key = balancer.getString("key");
            if (!"consumer".equals(on) && (key == null || key.isEmpty())) {
                throw new PluginConfigException("must configure `hash_key` when balancer `hash_on` is not set to cookie");
            }
            hashOn = new HashOn(on, key);
        }
        TreeMap<Integer, List<MultiInstance>> byPriority = new TreeMap<>((a, b) -> Integer.compare(b, a));
        for (MultiInstance mi : instances) {
            byPriority.computeIfAbsent(mi.priority(), p -> new ArrayList<>()).add(mi);
        }
        List<PriorityGroup> groups = new ArrayList<>();
        for (Map.Entry<Integer, List<MultiInstance>> g : byPriority.entrySet()) {
            List<MultiInstance> members = List.copyOf(g.getValue());
            int[] weights = members.stream().mapToInt(MultiInstance::weight).toArray();
            String[] names = members.stream().map(MultiInstance::name).toArray(String[]::new);
            GroupBalancer b = chash ? new ConsistentHashRing(names, weights) : new SmoothWeightedRoundRobin(weights);
            groups.add(new PriorityGroup(g.getKey(), members, b));
        }

        int attempts = Math.min(MultiConfig.MAX_ATTEMPTS, instances.size());
        if (conf.getInteger("max_retries") != null) {
            attempts = (int) Math.min(MultiConfig.MAX_ATTEMPTS, conf.getInteger("max_retries") + 1L);
        }
        if (conf.getInteger("max_attempts") != null) {
            attempts = conf.getInteger("max_attempts");
            if (conf.getInteger("max_retries") != null) {
                attempts = (int) Math.min(attempts, conf.getInteger("max_retries") + 1L);
            }
        }

        JsonObject logging = conf.getJsonObject("logging", new JsonObject());
        TransportOptions transport = TransportOptions.from(conf);
        List<MultiInstance> all = List.copyOf(instances);
        return new MultiConfig(all, List.copyOf(groups), hashOn,
                FallbackStrategy.parse(conf.getValue("fallback_strategy"), conf.getJsonArray("fallback_http_statuses")),
                attempts, conf.getInteger("retry_delay", 0), Backoff.of(conf.getString("backoff")),
                conf.getInteger("retry_on_failure_within_ms", 0), transport,
                logging.getBoolean("summaries", false), logging.getBoolean("payloads", false),
                new AiExecutor(transport), new MultiConfig.Lease(health, all));
    }

    /**
     * The identity under which an instance's health is shared: provider, address, provider_conf and
     * a SHA-256 fingerprint of auth and checks. The auth values never leave this method.
     */
    static String healthKey(JsonObject ic, JsonObject checks) {
        JsonObject override = ic.getJsonObject("override", new JsonObject());
        String material = canonical(ic.getValue("auth")) + "|" + canonical(checks);
        String fp = HexFormat.of().formatHex(Sha256.of(material), 0, 12);
        return ic.getString("provider") + "|" + override.getString("endpoint", "") + "|"
                + canonical(ic.getValue("provider_conf")) + "|" + fp;
    }

    /** JSON with object keys sorted, so that key order does not split an identity. */
    private static String canonical(Object v) {
        if (v instanceof JsonObject o) {
            StringBuilder b = new StringBuilder("{");
            for (String k : new java.util.TreeSet<>(o.fieldNames())) {
                b.append(new JsonArray().add(k).encode()).append(':').append(canonical(o.getValue(k))).append(',');
            }
            return b.append('}').toString();
        }
        if (v instanceof JsonArray a) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : a) {
                b.append(canonical(x)).append(',');
            }
            return b.append(']').toString();
        }
        return v == null ? "null" : new JsonArray().add(v).encode();
    }

    @Override
    public void release(MultiConfig conf) {
        conf.lease().release();
        conf.executor().close();
    }

    @Override
    public Future<Void> close() {
        health.close();
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> access(MultiConfig conf, RequestContext ctx) {
        return AiProxyPlugin.readRequest(ctx, conf.logPayloads(), conf.transport().maxReqBodySize()).map(req -> {
            if (req != null) {
                ctx.upstream(new MultiUpstream(conf, req));
            }
            return null;
        });
    }

    @Override
    public void log(MultiConfig conf, RequestContext ctx) {
        AiProxyPlugin.addLogFields(ctx, conf.logSummaries(), conf.logPayloads());
        Object attempts = ctx.get(MultiUpstream.ATTEMPTS_KEY);
        if (attempts != null || ctx.var(VAR_INSTANCE) != null) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("instance", ctx.var(VAR_INSTANCE));
            m.put("attempts", ctx.var(VAR_ATTEMPTS));
            m.put("tried", attempts);
            ctx.logFields().put("ai_proxy_multi", m);
        }
    }
}
