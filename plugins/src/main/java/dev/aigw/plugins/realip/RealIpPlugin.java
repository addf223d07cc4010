package dev.aigw.plugins.realip;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.net.Cidr;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * APISIX's {@code real-ip} (priority 23000, rewrite phase): when the peer is one of
 * {@code trusted_addresses} (or always, without that list), the address in {@code source} — a variable
 * such as {@code http_x_real_ip} or {@code arg_realip}, or {@code http_x_forwarded_for}, whose last
 * entry is taken, or with {@code recursive} the right-most entry that is not trusted — becomes
 * {@code $remote_addr} (and its port {@code $remote_port}) for every later phase: ip-restriction,
 * limit keys, {@code X-Real-IP}/{@code X-Forwarded-For} to the upstream, the logs. The peer's own
 * address stays in {@code $realip_remote_addr} / {@code $realip_remote_port}. A missing or malformed
 * value changes nothing (a warning is logged, as APISIX).
 */
public final class RealIpPlugin implements Plugin<RealIpPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(RealIpPlugin.class);

    /** Parsed configuration: trusted blocks parsed once (null: trust every peer). */
    public record Config(String source, List<Cidr> trusted, boolean recursive) {
        boolean trusts(String addr) {
            return Cidr.anyContains(trusted, addr);
        }
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "trusted_addresses": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "source": {"type": "string", "minLength": 1},
                "recursive": {"type": "boolean", "default": false}
              },
              "required": ["source"]
            }
            """;

    @Override
    public String name() {
        return "real-ip";
    }

    @Override
    public int priority() {
        return 23000;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        List<Cidr> trusted = null;
        JsonArray arr = conf.getJsonArray("trusted_addresses");
        if (arr != null) {
            trusted = new ArrayList<>(arr.size());
            for (Object v : arr) {
                try {
                    trusted.add(Cidr.parse((String) v));
                } catch (IllegalArgumentException e) {
                    throw new PluginConfigException("invalid ip address: " + v);
                }
            }
            trusted = List.copyOf(trusted);
        }
        return new Config(conf.getString("source"), trusted, conf.getBoolean("recursive", false));
    }

    @Override
    public Future<Void> rewrite(Config conf, RequestContext ctx) {
        String peer = ctx.varString("remote_addr");
        if (conf.trusted() != null && (peer == null || !conf.trusts(peer))) {
            return Future.succeededFuture();
        }
        String addr = address(conf, ctx);
        if (addr == null) {
            LOG.warn("missing real address");
            return Future.succeededFuture();
        }
        String ip = addr;
        Integer port = null;
        if (addr.startsWith("[")) {
            int close = addr.indexOf(']');
            if (close < 0) {
                LOG.warn("bad address: {}", addr);
                return Future.succeededFuture();
            }
            ip = addr.substring(1, close);
            if (addr.length() > close + 1) {
                if (addr.charAt(close + 1) != ':') {
                    LOG.warn("bad address: {}", addr);
                    return Future.succeededFuture();
                }
                port = port(addr.substring(close + 2));
            }
        } else if (addr.indexOf(':') > 0 && addr.indexOf(':') == addr.lastIndexOf(':')) {
            ip = addr.substring(0, addr.indexOf(':')); // a.b.c.d:port
            port = port(addr.substring(addr.indexOf(':') + 1));
        }
        if (!isLiteral(ip)) {
            LOG.warn("bad address: {}", addr);
            return Future.succeededFuture();
        }
        if (port != null && (port < 1 || port > 65535)) {
            LOG.warn("bad port: {}", port);
            return Future.succeededFuture();
        }
        ctx.setVar("realip_remote_addr", peer);
        ctx.setVar("realip_remote_port", ctx.var("remote_port"));
        ctx.setVar("remote_addr", ip);
        if (port != null) {
            ctx.setVar("remote_port", port);
        }
        return Future.succeededFuture();
    }

    private static Integer port(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isLiteral(String ip) {
        return !ip.isEmpty() && Cidr.isAddress(ip);
    }

    /** APISIX's get_addr. */
    private static String address(Config conf, RequestContext ctx) {
        if (!"http_x_forwarded_for".equals(conf.source())) {
            return ctx.varString(conf.source());
        }
        List<String> all = ctx.request().headers().getAll("X-Forwarded-For");
        if (all.isEmpty()) {
            return null;
        }
        String addrs = all.get(all.size() - 1);
        int idx = addrs.lastIndexOf(',');
        if (idx < 0) {
            return addrs;
        }
        if (conf.recursive() && conf.trusted() != null) {
            String[] parts = addrs.split(",\\s*");
            for (int i = parts.length - 1; i >= 1; i--) {
                if (!conf.trusts(parts[i])) {
                    return parts[i];
                }
            }
            return parts[0];
        }
        return addrs.substring(idx + 1).stripLeading();
    }
}
