package dev.aigw.gateway.schema;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The schemas of APISIX's resources (route, upstream, global rule, plugin metadata), taken from
 * {@code apisix/schema_def.lua} and kept to the fields aigw implements, compiled once.
 *
 * <p>Each {@code validate*} method runs the same checks as APISIX's Admin API for that resource
 * (schema, then the semantic checks APISIX does around it, such as {@code host} with {@code hosts} or a
 * consistent hash key) and returns null when valid, else APISIX's message
 * ({@code invalid configuration: property "uri" validation failed: wrong type: expected string, got number}).
 * References to other resources ({@code upstream_id}) and plugin configurations are not checked here:
 * the Admin API checks them against the store and the plugin registry.
 *
 * <p>Immutable and thread-safe; create one per gateway and share it (the Admin API and the route builder).
 */
public final class ResourceSchemas {

    private final JsonSchema route;
    private final JsonSchema upstream;
    private final JsonSchema globalRule;
    private final JsonSchema pluginMetadata;
    private final JsonSchema service;
    private final JsonSchema pluginConfig;
    private final JsonSchema consumer;
    private final JsonSchema credential;
    private final JsonSchema consumerGroup;
    private final JsonSchema hashVarsKey;
    private final JsonSchema hashHeaderKey;

    private ResourceSchemas() {
        JsonObject upstreamDef = new JsonObject(resource("upstream.json"));
        JsonObject routeDef = new JsonObject(resource("route.json"));
        // a route embeds the full upstream schema, as APISIX's route schema does
        routeDef.getJsonObject("properties").put("upstream", upstreamDef.copy());
        this.route = JsonSchema.compile(routeDef.encode());
        this.upstream = JsonSchema.compile(upstreamDef.encode());
        this.globalRule = JsonSchema.compile(resource("global_rule.json"));
        JsonObject serviceDef = new JsonObject(resource("service.json"));
        serviceDef.getJsonObject("properties").put("upstream", upstreamDef.copy());
        this.service = JsonSchema.compile(serviceDef.encode());
        this.pluginConfig = JsonSchema.compile(resource("plugin_config.json"));
        this.consumer = JsonSchema.compile(resource("consumer.json"));
        this.credential = JsonSchema.compile(resource("credential.json"));
        this.consumerGroup = JsonSchema.compile(resource("consumer_group.json"));
        this.pluginMetadata = JsonSchema.compile(resource("plugin_metadata.json"));
        this.hashVarsKey = JsonSchema.compile("{\"type\":\"string\",\"pattern\":"
                + "\"^((uri|server_name|server_addr|request_uri|remote_port|remote_addr|query_string|host|hostname"
                + "|mqtt_client_id)|arg_[0-9a-zA-z_-]+)$\"}");
        this.hashHeaderKey = JsonSchema.compile("{\"type\":\"string\",\"pattern\":\"^[a-zA-Z0-9-_]+$\"}");
    }

    /** Loads and compiles the schemas (class-path resources {@code schema/*.json}). */
    public static ResourceSchemas load() {
        return new ResourceSchemas();
    }

    private static String resource(String name) {
        try (InputStream in = ResourceSchemas.class.getResourceAsStream("/schema/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing schema resource /schema/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The route schema's JSON text (for the Admin API's schema endpoint). */
    public String routeSchema() {
        JsonObject routeDef = new JsonObject(resource("route.json"));
        routeDef.getJsonObject("properties").put("upstream", new JsonObject(resource("upstream.json")));
        return routeDef.encode();
    }

    /** Checks a route as APISIX's Admin API does (without references and plugins); null when valid. */
    public String validateRoute(JsonObject conf) {
        if (conf.containsKey("host") && conf.containsKey("hosts")) {
            return "only one of host or hosts is allowed";
        }
        if (conf.containsKey("remote_addr") && conf.containsKey("remote_addrs")) {
            return "only one of remote_addr or remote_addrs is allowed";
        }
        String err = route.validate(conf);
        if (err != null) {
            return "invalid configuration: " + err;
        }
        Object up = conf.getValue("upstream");
        if (up instanceof JsonObject u) {
            return upstreamChecks(u);
        }
        return null;
    }

    /** Checks an upstream as APISIX's Admin API does; null when valid. */
    public String validateUpstream(JsonObject conf) {
        return upstreamChecks(conf);
    }

    /** Checks a global rule's envelope (schema); null when valid. Plugins are checked by the caller. */
    public String validateGlobalRule(JsonObject conf) {
        String err = globalRule.validate(conf);
        return err == null ? null : "invalid configuration: " + err;
    }

    /** Checks plugin metadata's envelope; the fields are the plugin's business. Null when valid. */
    public String validatePluginMetadata(JsonObject conf) {
        String err = pluginMetadata.validate(conf);
        return err == null ? null : "invalid configuration: " + err;
    }

    /** Checks a service as APISIX's Admin API does (without references and plugins); null when valid. */
    public String validateService(JsonObject conf) {
        String err = service.validate(conf);
        if (err != null) {
            return "invalid configuration: " + err;
        }
        return conf.getValue("upstream") instanceof JsonObject u ? upstreamChecks(u) : null;
    }

    /** Checks a plugin config's envelope; its plugins are checked by the caller. Null when valid. */
    public String validatePluginConfig(JsonObject conf) {
        return envelope(pluginConfig, conf);
    }

    /** Checks a consumer's envelope; its plugins are checked by the caller. Null when valid. */
    public String validateConsumer(JsonObject conf) {
        return envelope(consumer, conf);
    }

    /** Checks a credential's envelope; its (one, auth) plugin is checked by the caller. Null when valid. */
    public String validateCredential(JsonObject conf) {
        return envelope(credential, conf);
    }

    /** Checks a consumer group's envelope; its plugins are checked by the caller. Null when valid. */
    public String validateConsumerGroup(JsonObject conf) {
        return envelope(consumerGroup, conf);
    }

    private static String envelope(JsonSchema schema, JsonObject conf) {
        String err = schema.validate(conf);
        return err == null ? null : "invalid configuration: " + err;
    }

    /** APISIX's {@code check_upstream_conf}: schema, node ports, pass_host, consistent-hash key. */
    private String upstreamChecks(JsonObject conf) {
        Object nodes = conf.getValue("nodes");
        if (nodes instanceof JsonArray arr) {
            for (Object n : arr) {
                if (n instanceof JsonObject node && node.getValue("host") instanceof String host
                        && isBareIpv6(host)) {
                    return "invalid configuration: IPv6 address must be enclosed with '[' and ']'";
                }
            }
        }
        String err = upstream.validate(conf);
        if (err != null) {
            return "invalid configuration: " + err;
        }
        if (nodes instanceof JsonObject map) {
            for (String addr : map.fieldNames()) {
                Integer port = portOf(addr);
                if (port != null && (port < 1 || port > 65535)) {
                    return "invalid port " + port;
                }
            }
        }
        if ("rewrite".equals(conf.getValue("pass_host"))) {
            Object host = conf.getValue("upstream_host");
            if (host == null || "".equals(host)) {
                return "`upstream_host` can't be empty when `pass_host` is `rewrite`";
            }
        }
        if (!"chash".equals(conf.getValue("type"))) {
            return null;
        }
        String hashOn = conf.getValue("hash_on") instanceof String s ? s : "vars";
        if (!"consumer".equals(hashOn) && conf.getValue("key") == null) {
            return "missing key";
        }
        JsonSchema keySchema = switch (hashOn) {
            case "vars" -> hashVarsKey;
            case "header", "cookie" -> hashHeaderKey;
            default -> null; // consumer: no key; vars_combinations: any string (the schema says string)
        };
        if (keySchema != null) {
            String keyErr = keySchema.validate(io.vertx.core.json.Json.encode(conf.getValue("key")));
            if (keyErr != null) {
                return "invalid configuration: " + keyErr;
            }
        }
        return null;
    }

    private static boolean isBareIpv6(String host) {
        if (host.startsWith("[") || host.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** The port of {@code host:port} / {@code [v6]:port}, or null when none is given. */
    static Integer portOf(String addr) {
        String portText;
        if (addr.startsWith("[")) {
            int close = addr.indexOf(']');
            if (close < 0 || close + 1 >= addr.length() || addr.charAt(close + 1) != ':') {
                return null;
            }
            portText = addr.substring(close + 2);
        } else {
            int colon = addr.lastIndexOf(':');
            if (colon < 0 || addr.indexOf(':') != colon) {
                return null; // no port, or a bare IPv6 literal
            }
            portText = addr.substring(colon + 1);
        }
        try {
            return Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
