package dev.aigw.plugins.basicauth;

import dev.aigw.gateway.consumer.AuthSupport;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.crypto.Sha256;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * APISIX's {@code basic-auth} ({@code apisix/plugins/basic-auth.lua}; priority 2520, rewrite phase).
 * The {@code Authorization: Basic <base64(username:password)>} header is decoded, the username looked
 * up among the consumers' and credentials' basic-auth usernames (one hash lookup:
 * {@link Consumers#identify}) and the password compared in constant time. Failures answer 401 with
 * {@code WWW-Authenticate: Basic realm="<realm>"} and APISIX's messages: {@code Missing authorization
 * in request}, {@code Invalid authorization in request} (not Basic, not base64, no colon) and
 * {@code Invalid user authorization} (unknown user or wrong password, deliberately the same).
 *
 * <p>As APISIX, whitespace is removed from the decoded username and password. Unlike APISIX, the
 * password is everything after the first colon (RFC 7617), so a password containing {@code :} works;
 * APISIX keeps only the part up to the next colon.
 */
public final class BasicAuthPlugin implements Plugin<BasicAuthConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(BasicAuthPlugin.class);

    static final String NAME = "basic-auth";
    private static final String MISSING = AuthSupport.body("Missing authorization in request");
    private static final String INVALID = AuthSupport.body("Invalid authorization in request");
    private static final String INVALID_USER = AuthSupport.body(AuthSupport.INVALID_USER);
    /** APISIX's {@code (?i:basic)\s(.+)}, unanchored as there. */
    private static final Pattern BASIC = Pattern.compile("(?i:basic)\\s(.+)");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "hide_credentials": {"type": "boolean", "default": false},
                "realm": {"type": "string", "default": "basic", "minLength": 1, "maxLength": 128,
                  "pattern": "^[\\\\x20-\\\\x21\\\\x23-\\\\x5B\\\\x5D-\\\\x7E]+$"},
                "anonymous_consumer": {"type": "string", "minLength": 1}
              }
            }
            """;

    private static final String CONSUMER_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "username": {"type": "string"},
                "password": {"type": "string"}
              },
              "required": ["username", "password"]
            }
            """;

    /** A consumer's password, kept only as its SHA-256 so that the comparison time says nothing about its length. */
    record Password(byte[] sha256) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 2520;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public String consumerSchema() {
        return CONSUMER_SCHEMA;
    }

    @Override
    public String consumerKeyField() {
        return "username";
    }

    @Override
    public List<String> consumerEncryptFields() {
        return List.of("password");
    }

    @Override
    public Object parseConsumerConfig(JsonObject conf) {
        return new Password(Sha256.of(conf.getString("password")));
    }

    @Override
    public BasicAuthConfig parseConfig(JsonObject conf) {
        return new BasicAuthConfig(conf.getBoolean("hide_credentials", false),
                "Basic realm=\"" + conf.getString("realm", "basic") + "\"", conf.getString("anonymous_consumer"));
    }

    @Override
    public Future<Void> rewrite(BasicAuthConfig conf, RequestContext ctx) {
        String error = authenticate(ctx);
        if (error != null) {
            if (conf.anonymousConsumer() == null) {
                AuthSupport.reject(ctx, conf.wwwAuthenticate(), error);
                return Future.succeededFuture();
            }
            if (!AuthSupport.attachAnonymous(ctx, NAME, conf.anonymousConsumer(), conf.wwwAuthenticate(), LOG)) {
                return Future.succeededFuture();
            }
        }
        if (conf.hideCredentials()) {
            ctx.proxyRequest().headers().remove("Authorization");
        }
        return Future.succeededFuture();
    }

    /** Attaches the consumer and returns null, or returns the 401 body. */
    private static String authenticate(RequestContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null) {
            return MISSING;
        }
        Matcher m = BASIC.matcher(header);
        if (!m.find()) {
            LOG.warn("Invalid authorization header format");
            return INVALID;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(m.group(1).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            LOG.warn("Failed to decode authentication header");
            return INVALID;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            LOG.warn("Split authorization err: invalid decoded data");
            return INVALID;
        }
        String username = SPACE.matcher(decoded.substring(0, colon)).replaceAll("");
        String password = SPACE.matcher(decoded.substring(colon + 1)).replaceAll("");
        Consumers.Identity id = ctx.consumers().identify(NAME, username);
        if (id == null) {
            LOG.warn("failed to find user: invalid user, request {}", ctx.requestId());
            return INVALID_USER;
        }
        if (!(id.conf() instanceof Password p) || !Sha256.matches(p.sha256(), password)) {
            return INVALID_USER;
        }
        ctx.attachConsumer(id.consumer());
        return null;
    }
}
