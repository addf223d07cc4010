package dev.aigw.plugins.limitreq;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.limitcount.RateLimit;

/**
 * APISIX's limit key for limit-req and limit-conn: the variable named by {@code key} (or, with
 * {@code var_combination}, the template with {@code $var} references), the client address when that is
 * empty, prefixed with the owning resource and the configuration's version so that a changed
 * configuration starts from fresh counters.
 */
public final class LimitKeys {

    private LimitKeys() {
    }

    /** The full counter key for this request. */
    public static String of(RequestContext ctx, String key, boolean combination, String confVersion) {
        String k;
        if (combination) {
            int[] n = new int[1];
            k = RateLimit.template(ctx, key, n);
            if (n[0] == 0) {
                k = null;
            }
        } else {
            k = ctx.varString(key);
        }
        if (k == null) {
            k = ctx.varString("remote_addr"); // as APISIX: an empty key counts per client address
        }
        String resource = ctx.route() == null ? "/apisix/global" : "/apisix/routes/" + ctx.route().id();
        return resource + ":" + confVersion + ":" + k;
    }
}
