package dev.aigw.gateway.limit;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.resource.SharedResources;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * How every limit plugin (limit-count, ai-rate-limiting, limit-req, limit-conn) turns its {@code key}
 * into the counter key of a request, as APISIX: the variable named by {@code key}, the
 * {@code $var} template with {@code var_combination}, the key itself with {@code constant}, the
 * client address when the variables are empty; prefixed with the owning resource (a route's counters
 * are its own, a consumer's follow the consumer) and the configuration's version (a changed
 * configuration starts new counters).
 * One place, so that a consumer ({@code $consumer_name}) is counted the same way by every plugin.
 */
public final class LimitKeys {

    private LimitKeys() {
    }

    /**
     * The request's value of a {@code key} of type {@code var}, {@code var_combination} or
     * {@code constant}; the client address ({@code remote_addr}) when the variables are empty.
     */
    public static String value(RequestContext ctx, String key, String keyType) {
        String k = switch (keyType) {
            case "constant" -> key;
            case "var_combination" -> {
                int[] n = {0};
                String t = template(ctx, key, n);
                yield n[0] == 0 ? null : t;
            }
            default -> ctx.varString(key);
        };
        return k != null ? k : ctx.varString("remote_addr"); // as APISIX: an empty key counts per client address
    }

    /**
     * {@code <owning resource>:<confVersion>:<key>}, as APISIX: the store key of the resource the
     * configuration was written in ({@link RequestContext#pluginOwner}: a route's limit counts per
     * route, a service's across its routes, a consumer's across every route the consumer calls). Call
     * it from the plugin's phase itself. A binding without an owner (built outside a route table)
     * counts per route.
     */
    public static String counterKey(RequestContext ctx, String confVersion, String key) {
        String resource = ctx.pluginOwner() != null ? ctx.pluginOwner()
                : ctx.route() == null ? "/apisix/global" : "/apisix/routes/" + ctx.route().id();
        return resource + ":" + confVersion + ":" + key;
    }

    /** CRC32 of a configuration's canonical JSON (APISIX's {@code conf_version}). */
    public static String confVersion(JsonObject conf) {
        CRC32 crc = new CRC32();
        crc.update(SharedResources.canonical(conf).getBytes(StandardCharsets.UTF_8));
        return Long.toString(crc.getValue());
    }

    /**
     * APISIX's {@code core.utils.resolve_var}: {@code $name} and {@code ${name}} replaced by the
     * variable's value (empty when unset); {@code n[0]} counts the variables that had a value.
     */
    public static String template(RequestContext ctx, String tpl, int[] n) {
        if (tpl.indexOf('$') < 0) {
            return tpl;
        }
        StringBuilder sb = new StringBuilder(tpl.length() + 16);
        int i = 0;
        while (i < tpl.length()) {
            char c = tpl.charAt(i);
            if (c != '$' || i + 1 >= tpl.length()) {
                sb.append(c);
                i++;
                continue;
            }
            int start;
            int end;
            int next;
            if (tpl.charAt(i + 1) == '{') {
                start = i + 2;
                end = tpl.indexOf('}', start);
                if (end < 0) {
                    sb.append(tpl, i, tpl.length());
                    break;
                }
                next = end + 1;
            } else {
                start = i + 1;
                end = start;
                while (end < tpl.length() && (Character.isLetterOrDigit(tpl.charAt(end)) || tpl.charAt(end) == '_')) {
                    end++;
                }
                next = end;
            }
            if (end == start) {
                sb.append(c);
                i++;
                continue;
            }
            String v = ctx.varString(tpl.substring(start, end));
            if (v != null) {
                n[0]++;
                sb.append(v);
            }
            i = next;
        }
        return sb.toString();
    }
}
