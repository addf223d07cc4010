package dev.aigw.gateway.upstream;

import dev.aigw.gateway.upstream.health.ActiveCheck;
import dev.aigw.gateway.upstream.health.PassiveCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An APISIX upstream ({@code route.upstream} or {@code /apisix/admin/upstreams/{id}}), parsed once per
 * route build. Field names and defaults follow APISIX's {@code schema_def.lua} and
 * {@code balancer.lua}; the JSON is expected to have passed the upstream schema already, but parsing
 * still refuses what it cannot run ({@link IllegalArgumentException}, message names the field).
 *
 * @param nodes         the nodes in configuration order (weight 0 nodes kept: they are only skipped by the balancer)
 * @param type          load-balancing algorithm
 * @param hashOn        for {@code chash}: where the hash key comes from
 * @param key           for {@code chash}: the variable / header / cookie name (or template for vars_combinations)
 * @param scheme        {@code http} or {@code https}
 * @param passHost      how the Host header is chosen
 * @param upstreamHost  the Host for {@code pass_host: rewrite}
 * @param timeout       connect / send / read timeouts in milliseconds
 * @param retries       tries after the first one; APISIX's default is the number of nodes − 1
 * @param retryTimeoutMs bound on the time spent retrying, 0 for none
 * @param keepalivePool connection pool settings
 * @param tlsVerify     verify the upstream's certificate and host name (APISIX default false)
 * @param checks        {@code checks} (health checks of the nodes), or null
 */
public record UpstreamDefinition(List<Node> nodes, BalancerType type, HashOn hashOn, String key, String scheme,
                                 PassHost passHost, String upstreamHost, Timeout timeout, int retries,
                                 long retryTimeoutMs, KeepalivePool keepalivePool, boolean tlsVerify,
                                 Checks checks) {

    /**
     * APISIX's {@code checks}: an active check (required, as APISIX's schema) and optionally a passive one.
     *
     * @param type    {@code checks.active.type}: {@code http}, {@code https} or {@code tcp}
     * @param active  {@code checks.active}
     * @param passive {@code checks.passive}, or null
     */
    public record Checks(String type, ActiveCheck active, PassiveCheck passive) {
    }

    /** One upstream node. {@code address} is {@code host:port} ({@code [v6]:port}), as in {@code upstream_addr}. */
    public record Node(String host, int port, int weight, int priority, String address) {
        public Node(String host, int port, int weight, int priority) {
            this(host, port, weight, priority, (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
        }
    }

    /** Timeouts in milliseconds (APISIX gives seconds, floats allowed). */
    public record Timeout(long connectMs, long sendMs, long readMs) {
    }

    /** {@code keepalive_pool}: idle connections kept, their idle timeout (ms) and requests per connection. */
    public record KeepalivePool(int size, long idleTimeoutMs, int requests) {
    }

    /** Load-balancing algorithms. */
    public enum BalancerType {
        /** Smooth weighted round robin, as nginx. */
        ROUNDROBIN,
        /** Consistent hashing on a key. */
        CHASH,
        /** Fewest requests in flight per unit of weight. */
        LEAST_CONN,
        /** Lowest moving average of response time, of two nodes drawn at random. */
        EWMA
    }

    /** APISIX's {@code hash_on}. */
    public enum HashOn { VARS, HEADER, COOKIE, CONSUMER, VARS_COMBINATIONS }

    /** APISIX's {@code pass_host}. */
    public enum PassHost { PASS, NODE, REWRITE }

    /** APISIX defaults: 60 s for each timeout. */
    public static final Timeout DEFAULT_TIMEOUT = new Timeout(60_000, 60_000, 60_000);
    /** APISIX defaults ({@code nginx_config.http.upstream}): 320 connections, 60 s idle, 1000 requests. */
    public static final KeepalivePool DEFAULT_POOL = new KeepalivePool(320, 60_000, 1000);

    public UpstreamDefinition {
        nodes = List.copyOf(nodes);
    }

    /** Default port for a scheme (APISIX's {@code scheme_to_port}). */
    public static int defaultPort(String scheme) {
        return "https".equals(scheme) || "grpcs".equals(scheme) ? 443 : 80;
    }

    /** True when the port is the scheme's standard one (then {@code pass_host: node} omits it). */
    public boolean standardPort(int port) {
        return port == defaultPort(scheme);
    }

    /** Parses APISIX upstream JSON. */
    public static UpstreamDefinition parse(JsonObject json) {
        String scheme = json.getString("scheme", "http").toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("unsupported upstream scheme: " + scheme);
        }
        List<Node> nodes = parseNodes(json.getValue("nodes"), scheme);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no valid upstream node");
        }

        String typeName = json.getString("type", "roundrobin");
        BalancerType type = switch (typeName) {
            case "roundrobin" -> BalancerType.ROUNDROBIN;
            case "chash" -> BalancerType.CHASH;
            case "least_conn" -> BalancerType.LEAST_CONN;
            case "ewma" -> BalancerType.EWMA;
            default -> throw new IllegalArgumentException("invalid balancer type: " + typeName);
        };
        HashOn hashOn = HashOn.valueOf(json.getString("hash_on", "vars").toUpperCase(Locale.ROOT));
        String key = json.getString("key");
        if (type == BalancerType.CHASH && hashOn != HashOn.CONSUMER && (key == null || key.isEmpty())) {
            throw new IllegalArgumentException("missing key");
        }

        PassHost passHost = PassHost.valueOf(json.getString("pass_host", "pass").toUpperCase(Locale.ROOT));
        String upstreamHost = json.getString("upstream_host");
        if (passHost == PassHost.REWRITE && (upstreamHost == null || upstreamHost.isEmpty())) {
            throw new IllegalArgumentException("`upstream_host` can't be empty when `pass_host` is `rewrite`");
        }

        Timeout timeout = DEFAULT_TIMEOUT;
        JsonObject t = json.getJsonObject("timeout");
        if (t != null) {
            timeout = new Timeout(seconds(t, "connect", 60), seconds(t, "send", 60), seconds(t, "read", 60));
        }

        Integer retries = json.getInteger("retries");
        int effectiveRetries = retries == null || retries < 0 ? nodes.size() - 1 : retries;
        Number retryTimeout = json.getNumber("retry_timeout");
        long retryTimeoutMs = retryTimeout == null ? 0 : Math.round(retryTimeout.doubleValue() * 1000);

        KeepalivePool pool = DEFAULT_POOL;
        JsonObject kp = json.getJsonObject("keepalive_pool");
        if (kp != null) {
            pool = new KeepalivePool(kp.getInteger("size", DEFAULT_POOL.size()),
                    seconds(kp, "idle_timeout", DEFAULT_POOL.idleTimeoutMs() / 1000.0),
                    kp.getInteger("requests", DEFAULT_POOL.requests()));
        }
        JsonObject tls = json.getJsonObject("tls");
        boolean verify = tls != null && tls.getBoolean("verify", false);

        Checks checks = null;
        JsonObject c = json.getJsonObject("checks");
        if (c != null) {
            JsonObject active = c.getJsonObject("active");
            if (active == null) {
                // APISIX's schema: passive checks only work with an active one
                throw new IllegalArgumentException("checks: an active check is required");
            }
            JsonObject passive = c.getJsonObject("passive");
            checks = new Checks(active.getString("type", "http"), ActiveCheck.parse(active),
                    passive == null ? null : PassiveCheck.parse(passive));
        }

        return new UpstreamDefinition(nodes, type, hashOn, key, scheme, passHost, upstreamHost, timeout,
                effectiveRetries, retryTimeoutMs, pool, verify, checks);
    }

    private static long seconds(JsonObject o, String field, double dflt) {
        Number n = o.getNumber(field);
        double s = n == null ? dflt : n.doubleValue();
        if (s < 0) {
            throw new IllegalArgumentException("invalid " + field + ": " + s);
        }
        return Math.round(s * 1000);
    }

    private static List<Node> parseNodes(Object raw, String scheme) {
        List<Node> out = new ArrayList<>();
        if (raw instanceof JsonObject map) {
            // {"host:port": weight}: APISIX iterates a Lua table, so order is not meaningful; keep JSON order
            for (Map.Entry<String, Object> e : map) {
                out.add(nodeOf(e.getKey(), weight(e.getValue(), e.getKey()), 0, scheme));
            }
        } else if (raw instanceof JsonArray list) {
            for (int i = 0; i < list.size(); i++) {
                JsonObject n = list.getJsonObject(i);
                String host = n.getString("host");
                if (host == null || host.isEmpty()) {
                    throw new IllegalArgumentException("nodes[" + i + "].host is required");
                }
                Integer port = n.getInteger("port");
                int weight = weight(n.getValue("weight"), "nodes[" + i + "]");
                int priority = n.getInteger("priority", 0);
                if (port == null) {
                    out.add(nodeOf(host, weight, priority, scheme));
                } else {
                    out.add(new Node(stripBrackets(host), port, weight, priority));
                }
            }
        } else if (raw != null) {
            throw new IllegalArgumentException("invalid nodes");
        }
        return out;
    }

    private static int weight(Object v, String where) {
        if (!(v instanceof Number n) || n.intValue() < 0) {
            throw new IllegalArgumentException("invalid weight of node " + where);
        }
        return n.intValue();
    }

    /** "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address. */
    private static Node nodeOf(String addr, int weight, int priority, String scheme) {
        String host = addr;
        int port = defaultPort(scheme);
        if (addr.startsWith("[")) {
            int close = addr.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("invalid node address: " + addr);
            }
            host = addr.substring(1, close);
            if (close + 1 < addr.length()) {
                if (addr.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("invalid node address: " + addr);
                }
                port = port(addr.substring(close + 2), addr);
            }
        } else {
            int colon = addr.indexOf(':');
            if (colon >= 0 && colon == addr.lastIndexOf(':')) {
                host = addr.substring(0, colon);
                port = port(addr.substring(colon + 1), addr);
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("invalid node address: " + addr);
        }
        return new Node(host, port, weight, priority);
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static int port(String s, String addr) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new IllegalArgumentException("invalid port in node address: " + addr);
    }
}
