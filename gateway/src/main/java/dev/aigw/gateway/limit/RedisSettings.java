package dev.aigw.gateway.limit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * APISIX's Redis fields of a rate limiting plugin ({@code apisix/utils/redis-schema.lua} and the
 * sentinel fields of limit-count), for the policies {@code redis}, {@code redis-cluster} and
 * {@code redis-sentinel}. {@link #key()} is the canonical identity under which one client (one pool)
 * is shared: equal connection settings share one client whatever the rest of the plugin says.
 *
 * @param policy    {@code redis}, {@code redis-cluster} or {@code redis-sentinel}
 * @param endpoints {@code host:port} of the server, the cluster nodes or the sentinels
 * @param timeoutMs per-command timeout ({@code redis_timeout}, or sentinel's {@code redis_read_timeout})
 */
public record RedisSettings(String policy, List<String> endpoints, String username, String password, int database,
                            boolean ssl, boolean sslVerify, int timeoutMs, int connectTimeoutMs, int keepaliveMs,
                            int poolSize, String masterName, String role, String sentinelUsername,
                            String sentinelPassword) {

    /** Reads the (schema-validated, defaults not yet applied) plugin configuration; null for {@code local}. */
    public static RedisSettings of(JsonObject conf) {
        String policy = conf.getString("policy", "local");
        switch (policy) {
            case "redis" -> {
                String host = conf.getString("redis_host");
                int port = conf.getInteger("redis_port", 6379);
                int timeout = conf.getInteger("redis_timeout", 1000);
                return new RedisSettings(policy, List.of(hostPort(host, port)), conf.getString("redis_username"),
                        conf.getString("redis_password"), conf.getInteger("redis_database", 0),
                        conf.getBoolean("redis_ssl", false), conf.getBoolean("redis_ssl_verify", false), timeout,
                        timeout, conf.getInteger("redis_keepalive_timeout", 10000),
                        conf.getInteger("redis_keepalive_pool", 100), null, null, null, null);
            }
            case "redis-cluster" -> {
                List<String> nodes = new ArrayList<>();
                for (Object o : conf.getJsonArray("redis_cluster_nodes", new JsonArray())) {
                    nodes.add(String.valueOf(o));
                }
                int timeout = conf.getInteger("redis_timeout", 1000);
                return new RedisSettings(policy, List.copyOf(nodes), null, conf.getString("redis_password"), 0,
                        conf.getBoolean("redis_cluster_ssl", false), conf.getBoolean("redis_cluster_ssl_verify", false),
                        timeout, timeout, conf.getInteger("redis_keepalive_timeout", 10000),
                        conf.getInteger("redis_keepalive_pool", 100), conf.getString("redis_cluster_name"), null, null,
                        null);
            }
            case "redis-sentinel" -> {
                List<String> sentinels = new ArrayList<>();
                for (Object o : conf.getJsonArray("redis_sentinels", new JsonArray())) {
                    JsonObject s = (JsonObject) o;
                    sentinels.add(hostPort(s.getString("host"), s.getInteger("port")));
                }
                return new RedisSettings(policy, List.copyOf(sentinels), conf.getString("redis_username"),
                        conf.getString("redis_password"), conf.getInteger("redis_database", 0), false, false,
                        conf.getInteger("redis_read_timeout", 1000), conf.getInteger("redis_connect_timeout", 1000),
                        conf.getInteger("redis_keepalive_timeout", 60000), 100, conf.getString("redis_master_name"),
                        conf.getString("redis_role", "master"), conf.getString("sentinel_username"),
                        conf.getString("sentinel_password"));
            }
            default -> {
                return null;
            }
        }
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The canonical identity of the client (every field that changes a connection). */
    public JsonObject key() {
        return new JsonObject().put("policy", policy).put("endpoints", new JsonArray(endpoints))
                .put("username", username).put("password", password).put("database", database).put("ssl", ssl)
                .put("ssl_verify", sslVerify).put("connect_timeout", connectTimeoutMs)
                .put("keepalive", keepaliveMs).put("pool", poolSize).put("master", masterName).put("role", role)
                .put("sentinel_username", sentinelUsername).put("sentinel_password", sentinelPassword);
    }

    /** A new non-blocking client; connections are made lazily, pooled and re-made after a failure. */
    public Redis create(Vertx vertx) {
        String scheme = ssl ? "rediss://" : "redis://";
        switch (policy) {
            case "redis-cluster" -> {
                RedisOptions o = options().setType(RedisClientType.CLUSTER);
                for (String e : endpoints) {
                    o.addConnectionString(scheme + auth(null, password) + e);
                }
                return Redis.createClient(vertx, o);
            }
            case "redis-sentinel" -> {
                // not Vert.x's SENTINEL client: it would use the Sentinel's credentials and database for the
                // master too (see SentinelRedis)
                List<Redis> sentinels = new ArrayList<>();
                for (String e : endpoints) {
                    sentinels.add(Redis.createClient(vertx, options().setMaxPoolSize(1)
                            .setConnectionString(scheme + auth(sentinelUsername, sentinelPassword) + e)));
                }
                return new SentinelRedis(vertx, sentinels, masterName, "slave".equals(role),
                        node -> Redis.createClient(vertx, options()
                                .setConnectionString(scheme + auth(username, password) + node + "/" + database)),
                        timeoutMs);
            }
            default -> {
                return Redis.createClient(vertx, options()
                        .setConnectionString(scheme + auth(username, password) + endpoints.get(0) + "/" + database));
            }
        }
    }

    private RedisOptions options() {
        return new RedisOptions()
                .setType(RedisClientType.STANDALONE)
                .setMaxPoolSize(Math.max(1, poolSize))
                // waiters are requests: bounded, beyond it a check fails fast (allow_degradation decides)
                .setMaxPoolWaiting(4096)
                .setMaxWaitingHandlers(4096)
                .setPoolRecycleTimeout(keepaliveMs)
                .setNetClientOptions(new NetClientOptions().setConnectTimeout(connectTimeoutMs).setTcpNoDelay(true)
                        .setSsl(ssl).setTrustAll(ssl && !sslVerify).setHostnameVerificationAlgorithm(
                                ssl && sslVerify ? "HTTPS" : ""));
    }

    private static String auth(String user, String password) {
        if (password == null || password.isEmpty()) {
            return "";
        }
        String u = user == null ? "" : URLEncoder.encode(user, StandardCharsets.UTF_8);
        return u + ":" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@";
    }

    /** Never prints the passwords. */
    @Override
    public String toString() {
        return policy + " " + endpoints + (database != 0 ? " db " + database : "");
    }
}
