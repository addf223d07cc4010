package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.http.Cookie;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the consistent-hash key of a request comes from ({@code balancer.hash_on} and
 * {@code balancer.key}), as APISIX's chash balancer reads it. A missing value falls back to the
 * client address, as in APISIX.
 *
 * @param on  {@code vars}, {@code header}, {@code cookie}, {@code consumer} or {@code vars_combinations}
 * @param key the variable, header or cookie name, or the {@code $var} template
 */
record HashOn(String on, String key) {

    private static final Pattern VAR = Pattern.compile("\\$\\{?([A-Za-z0-9_.]+)}?");

    String keyOf(RequestContext ctx) {
        String v = switch (on) {
            case "header" -> ctx.request().getHeader(key);
            case "cookie" -> {
                Cookie c = ctx.request().getCookie(key);
                yield c == null ? null : c.getValue();
            }
            case "consumer" -> ctx.varString("consumer_name");
            case "vars_combinations" -> combine(ctx);
            default -> ctx.varString(key);
        };
        if (v == null || v.isEmpty()) {
            v = ctx.varString("remote_addr");
            if (v == null && ctx.request().remoteAddress() != null) {
                v = ctx.request().remoteAddress().hostAddress();
            }
        }
        return v;
    }

    private String combine(RequestContext ctx) {
        Matcher m = VAR.matcher(key);
        StringBuilder out = new StringBuilder();
        boolean any = false;
        while (m.find()) {
            String val = ctx.varString(m.group(1));
            any |= val != null;
            m.appendReplacement(out, Matcher.quoteReplacement(val == null ? "" : val));
        }
        m.appendTail(out);
        return any ? out.toString() : null;
    }
}
