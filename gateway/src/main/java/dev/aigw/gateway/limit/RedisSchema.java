package dev.aigw.gateway.limit;

/**
 * The policy-dependent Redis fields of APISIX's rate limiting schemas ({@code apisix/utils/redis-schema.lua}
 * and limit-count's sentinel fields), as one {@code if/then/else} fragment the limit plugins splice in;
 * the single-server fields ({@link #REDIS}) are ai-cache's too.
 */
public final class RedisSchema {

    private RedisSchema() {
    }

    /**
     * The connection fields of one Redis server (APISIX's {@code redis-schema.lua} {@code redis}
     * policy), as the {@code then} schema of a policy that chose it: limit-count, ai-rate-limiting
     * and ai-cache validate the same fields with the same defaults ({@link RedisSettings#of} reads them).
     */
    public static final String REDIS = """
            {
              "properties": {
                "redis_host": {"type": "string", "minLength": 2},
                "redis_port": {"type": "integer", "minimum": 1, "default": 6379},
                "redis_username": {"type": "string", "minLength": 1},
                "redis_password": {"type": "string", "minLength": 0},
                "redis_database": {"type": "integer", "minimum": 0, "default": 0},
                "redis_timeout": {"type": "integer", "minimum": 1, "default": 1000},
                "redis_ssl": {"type": "boolean", "default": false},
                "redis_ssl_verify": {"type": "boolean", "default": false},
                "redis_keepalive_timeout": {"type": "integer", "minimum": 1000, "default": 10000},
                "redis_keepalive_pool": {"type": "integer", "minimum": 1, "default": 100}
              },
              "required": ["redis_host"]
            }""".strip();

    /** {@code "policy"}, {@code "allow_degradation"} property entries (no trailing comma). */
    public static final String POLICY_PROPERTIES = """
            "policy": {"type": "string", "enum": ["local", "redis", "redis-cluster", "redis-sentinel"], "default": "local"},
            "allow_degradation": {"type": "boolean", "default": false}""".strip();

    /**
     * The {@code if/then/else} members (no surrounding braces, no trailing comma). Each {@code if} requires
     * {@code policy}: APISIX injects the default policy before validating, here an absent one must not match.
     */
    public static final String CONDITIONAL = """
            "if": {"properties": {"policy": {"enum": ["redis"]}}, "required": ["policy"]},
            "then": %s,
            "else": {
              "if": {"properties": {"policy": {"enum": ["redis-cluster"]}}, "required": ["policy"]},
              "then": {
                "properties": {
                  "redis_cluster_nodes": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 2, "maxLength": 100}},
                  "redis_password": {"type": "string", "minLength": 0},
                  "redis_timeout": {"type": "integer", "minimum": 1, "default": 1000},
                  "redis_cluster_name": {"type": "string"},
                  "redis_cluster_ssl": {"type": "boolean", "default": false},
                  "redis_cluster_ssl_verify": {"type": "boolean", "default": false},
                  "redis_keepalive_timeout": {"type": "integer", "minimum": 1000, "default": 10000},
                  "redis_keepalive_pool": {"type": "integer", "minimum": 1, "default": 100}
                },
                "required": ["redis_cluster_nodes", "redis_cluster_name"]
              },
              "else": {
                "if": {"properties": {"policy": {"enum": ["redis-sentinel"]}}, "required": ["policy"]},
                "then": {
                  "properties": {
                    "redis_sentinels": {"type": "array", "minItems": 1, "items": {"type": "object",
                      "properties": {"host": {"type": "string", "minLength": 2}, "port": {"type": "integer", "minimum": 1, "maximum": 65535}},
                      "required": ["host", "port"], "additionalProperties": false}},
                    "redis_master_name": {"type": "string", "minLength": 1},
                    "redis_role": {"type": "string", "enum": ["master", "slave"], "default": "master"},
                    "redis_connect_timeout": {"type": "integer", "minimum": 1, "default": 1000},
                    "redis_read_timeout": {"type": "integer", "minimum": 1, "default": 1000},
                    "redis_keepalive_timeout": {"type": "integer", "minimum": 1, "default": 60000},
                    "redis_database": {"type": "integer", "minimum": 0, "default": 0},
                    "redis_username": {"type": "string", "minLength": 1},
                    "redis_password": {"type": "string", "minLength": 0},
                    "sentinel_username": {"type": "string", "minLength": 1},
                    "sentinel_password": {"type": "string", "minLength": 0}
                  },
                  "required": ["redis_sentinels", "redis_master_name"]
                }
              }
            }""".formatted(REDIS).strip(); // not a compile-time constant, so users are recompiled when it changes

    /** count / time_window / limit: a positive integer or a variable such as {@code "$http_x_limit"}. */
    public static final String INT_OR_VAR = """
            {"oneOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "string"}]}""".strip();
}
