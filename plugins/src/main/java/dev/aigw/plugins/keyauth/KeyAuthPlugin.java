package dev.aigw.plugins.keyauth;

import dev.aigw.gateway.consumer.AuthSupport;
import dev.aigw.gateway.consumer.Consumer;
import dev.aigw.gateway.context.ProxyRequest;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * APISIX's {@code key-auth} ({@code apisix/plugins/key-auth.lua}; priority 2500, rewrite phase):
 * the key is read from the {@code header} (first value), else from the {@code query} argument, and
 * looked up among the consumers' and credentials' key-auth keys (one hash lookup, constant-time
 * compare: {@link dev.aigw.gateway.consumer.Consumers#authenticate}). No key → 401
 * {@code {"message":"Missing API key in request"}}, an unknown one → 401
 * {@code {"message":"Invalid API key in request"}}, both with {@code WWW-Authenticate: apikey realm="<realm>"}
 * and APISIX's plain-text content type.
 *
 * <p>Beyond APISIX, so that the OpenAI and Anthropic SDKs work unchanged with a gateway key as their
 * API key: when neither the header nor the query argument is present, {@code Authorization: Bearer <key>}
 * and then {@code x-api-key} are read; and a {@code header} of {@code Authorization} accepts the
 * {@code Bearer } prefix. {@code hide_credentials} removes whichever carried the key, so the gateway
 * key never reaches the upstream (ai-proxy forwards client headers, as APISIX's does).
 */
public final class KeyAuthPlugin implements Plugin<KeyAuthConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(KeyAuthPlugin.class);

    static final String NAME = "key-auth";
    private static final String MISSING = AuthSupport.body("Missing API key in request");
    private static final String INVALID = AuthSupport.body("Invalid API key in request");
    private static final String BEARER = "bearer ";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "header": {"type": "string", "default": "apikey"},
                "query": {"type": "string", "default": "apikey"},
                "realm": {"type": "string", "default": "key", "minLength": 1, "maxLength": 128,
                  "pattern": "^[\\\\x20-\\\\x21\\\\x23-\\\\x5B\\\\x5D-\\\\x7E]+$"},
                "hide_credentials": {"type": "boolean", "default": false},
                "anonymous_consumer": {"type": "string", "minLength": 1}
              }
            }
            """;

    private static final String CONSUMER_SCHEMA = """
            {
              "type": "object",
              "properties": {"key": {"type": "string"}},
              "required": ["key"]
            }
            """;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 2500;
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
        return "key";
    }

    @Override
    public List<String> consumerEncryptFields() {
        return List.of("key");
    }

    @Override
    public KeyAuthConfig parseConfig(JsonObject conf) {
        String realm = conf.getString("realm", "key");
        return new KeyAuthConfig(conf.getString("header", "apikey"), conf.getString("query", "apikey"),
                conf.getBoolean("hide_credentials", false), "apikey realm=\"" + realm + "\"",
                conf.getString("anonymous_consumer"));
    }

    /** Where the key came from, so that hide_credentials removes exactly that. */
    private enum From { HEADER, QUERY, BEARER, X_API_KEY }

    @Override
    public Future<Void> rewrite(KeyAuthConfig conf, RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        From from = From.HEADER;
        String key = req.getHeader(conf.header());
        if (key != null && conf.header().equalsIgnoreCase("authorization")) {
            key = stripBearer(key);
        }
        if (key == null) {
            key = req.getParam(conf.query());
            from = From.QUERY;
        }
        if (key == null) {
            String auth = req.getHeader("Authorization");
            if (auth != null && auth.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                key = stripBearer(auth);
                from = From.BEARER;
            }
        }
        if (key == null) {
            key = req.getHeader("x-api-key");
            from = From.X_API_KEY;
        }
        String error;
        Consumer consumer = null;
        if (key == null) {
            error = MISSING;
        } else {
            consumer = ctx.consumers().authenticate(NAME, key);
            error = consumer == null ? INVALID : null;
            if (consumer == null) {
                LOG.warn("failed to find consumer: invalid api key, request {}", ctx.requestId());
            }
        }
        if (consumer != null) {
            if (conf.hideCredentials()) {
                hide(conf, ctx, from);
            }
            ctx.attachConsumer(consumer);
            return Future.succeededFuture();
        }
        if (conf.anonymousConsumer() != null) {
            if (conf.hideCredentials()) {
                hide(conf, ctx, From.HEADER);
                hide(conf, ctx, From.QUERY);
                hide(conf, ctx, From.BEARER);
                hide(conf, ctx, From.X_API_KEY);
            }
            AuthSupport.attachAnonymous(ctx, NAME, conf.anonymousConsumer(), conf.wwwAuthenticate(), LOG);
            return Future.succeededFuture();
        }
        AuthSupport.reject(ctx, conf.wwwAuthenticate(), error);
        return Future.succeededFuture();
    }

    private static String stripBearer(String value) {
        return value.regionMatches(true, 0, BEARER, 0, BEARER.length()) ? value.substring(BEARER.length()).trim() : value;
    }

    private static void hide(KeyAuthConfig conf, RequestContext ctx, From from) {
        ProxyRequest pr = ctx.proxyRequest();
        switch (from) {
            case HEADER -> pr.headers().remove(conf.header());
            case BEARER -> pr.headers().remove("Authorization");
            case X_API_KEY -> pr.headers().remove("x-api-key");
            case QUERY -> pr.uri(AuthSupport.withoutQueryArg(pr.uri(), conf.query()));
        }
    }
}
