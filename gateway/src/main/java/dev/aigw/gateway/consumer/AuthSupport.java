package dev.aigw.gateway.consumer;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * What APISIX's auth plugins ({@code key-auth}, {@code basic-auth}, {@code jwt-auth}) share once the
 * caller is known or not: the 401 answer, the {@code anonymous_consumer} fallback and removing a
 * credential from the query string ({@code hide_credentials}).
 */
public final class AuthSupport {

    /** APISIX's answer when the {@code anonymous_consumer} does not exist. */
    public static final String INVALID_USER = "Invalid user authorization";

    private AuthSupport() {
    }

    /**
     * The 401 body APISIX sends for {@code return 401, {message = msg}}: its JSON with a trailing
     * newline, computed once per message (auth messages are constants).
     */
    public static String body(String message) {
        return new JsonObject().put("message", message).encode() + "\n";
    }

    /** Answers 401 with {@code body} (from {@link #body}) and {@code WWW-Authenticate: wwwAuthenticate}. */
    public static void reject(RequestContext ctx, String wwwAuthenticate, String body) {
        ctx.response().headers().set("WWW-Authenticate", wwwAuthenticate);
        ctx.exit(401, body);
    }

    /**
     * APISIX's {@code get_anonymous_consumer} fallback after a failed authentication: attaches the
     * consumer named {@code anonymous} and returns true, or logs APISIX's error line and answers 401
     * {@code Invalid user authorization} when it does not exist.
     */
    public static boolean attachAnonymous(RequestContext ctx, String plugin, String anonymous, String wwwAuthenticate,
                                          Logger log) {
        Consumer c = ctx.consumers().byName(anonymous);
        if (c != null) {
            ctx.attachConsumer(c);
            return true;
        }
        log.error("{} failed to authenticate the request, code: 401. error: anonymous consumer {} not found",
                plugin, anonymous);
        reject(ctx, wwwAuthenticate, INVALID_USER_BODY);
        return false;
    }

    private static final String INVALID_USER_BODY = body(INVALID_USER);

    /** The uri without the query argument {@code name} (every occurrence, compared decoded). */
    public static String withoutQueryArg(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        StringBuilder kept = new StringBuilder();
        for (String pair : uri.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String decoded;
            try {
                decoded = URLDecoder.decode(k, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                decoded = k;
            }
            if (pair.isEmpty() || decoded.equals(name)) {
                continue;
            }
            if (kept.length() > 0) {
                kept.append('&');
            }
            kept.append(pair);
        }
        return kept.length() == 0 ? uri.substring(0, q) : uri.substring(0, q + 1) + kept;
    }
}
