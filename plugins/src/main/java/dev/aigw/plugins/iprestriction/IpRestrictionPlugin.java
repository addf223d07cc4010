package dev.aigw.plugins.iprestriction;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.net.Cidr;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * APISIX's {@code ip-restriction} (priority 3000, access): with a {@code whitelist}, only clients whose
 * {@code $remote_addr} lies in one of its addresses or CIDR blocks pass; with a {@code blacklist},
 * those that lie in one are refused — {@code response_code} (403 or 404) with
 * {@code {"message": message}}.
 */
public final class IpRestrictionPlugin implements Plugin<IpRestrictionPlugin.Config> {

    /** Parsed configuration: one of the two lists is null. */
    public record Config(List<Cidr> whitelist, List<Cidr> blacklist, int responseCode, JsonObject body) {
    }

    private static final String IPS = """
            {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1, "maxLength": 64}}""";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "message": {"type": "string", "minLength": 1, "maxLength": 1024, "default": "Your IP address is not allowed"},
                "response_code": {"type": "integer", "minimum": 403, "maximum": 404, "default": 403},
                "whitelist": %1$s,
                "blacklist": %1$s
              },
              "oneOf": [{"required": ["whitelist"]}, {"required": ["blacklist"]}]
            }
            """.formatted(IPS);

    @Override
    public String name() {
        return "ip-restriction";
    }

    @Override
    public int priority() {
        return 3000;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        return new Config(cidrs(conf.getJsonArray("whitelist")), cidrs(conf.getJsonArray("blacklist")),
                conf.getInteger("response_code", 403),
                new JsonObject().put("message", conf.getString("message", "Your IP address is not allowed")));
    }

    private static List<Cidr> cidrs(JsonArray arr) throws PluginConfigException {
        if (arr == null) {
            return null;
        }
        List<Cidr> out = new ArrayList<>(arr.size());
        for (Object v : arr) {
            try {
                out.add(Cidr.parse((String) v));
            } catch (IllegalArgumentException e) {
                throw new PluginConfigException("invalid ip address: " + v);
            }
        }
        return List.copyOf(out);
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        String addr = ctx.varString("remote_addr");
        boolean block = false;
        if (conf.blacklist() != null) {
            block = any(conf.blacklist(), addr);
        }
        if (conf.whitelist() != null) {
            block = !any(conf.whitelist(), addr);
        }
        if (block) {
            ctx.exit(conf.responseCode(), conf.body());
        }
        return Future.succeededFuture();
    }

    private static boolean any(List<Cidr> list, String addr) {
        if (addr == null) {
            return false;
        }
        for (Cidr c : list) {
            if (c.contains(addr)) {
                return true;
            }
        }
        return false;
    }
}
