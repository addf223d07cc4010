package dev.aigw.plugins.jwtauth;

import com.nimbusds.jose.JWSObject;
import dev.aigw.gateway.consumer.AuthSupport;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.context.ProxyRequest;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * APISIX's {@code jwt-auth} ({@code apisix/plugins/jwt-auth.lua}; priority 2510, rewrite phase).
 *
 * <p>The token is read from the {@code header} (a {@code Bearer } prefix dropped), else the
 * {@code query} argument, else the {@code cookie}. Its {@code key_claim_name} claim is looked up
 * among the consumers' and credentials' jwt-auth keys (one hash lookup:
 * {@link Consumers#identify}); the token must declare the consumer's {@code algorithm} and carry a
 * valid signature by its secret or public key (parsed once per consumers change, see {@link JwtKey});
 * then {@code exp} and {@code nbf} are checked with the consumer's {@code lifetime_grace_period}:
 * those of {@code claims_to_verify} must be present, and without it each is checked when present.
 *
 * <p>401 bodies as APISIX: {@code Missing JWT token in request}, {@code JWT token invalid},
 * {@code missing user key in JWT token}, {@code Invalid user key in JWT token}, and
 * {@code failed to verify jwt} for a wrong algorithm, signature or claim (the detail goes to the
 * log only), with {@code WWW-Authenticate: Bearer realm="<realm>"}.
 */
public final class JwtAuthPlugin implements Plugin<JwtAuthConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(JwtAuthPlugin.class);

    static final String NAME = "jwt-auth";
    /** The variable holding the verified payload when {@code store_in_ctx} (APISIX's {@code ctx.jwt_auth_payload}). */
    public static final String PAYLOAD_VAR = "jwt_auth_payload";

    private static final String MISSING = AuthSupport.body("Missing JWT token in request");
    private static final String INVALID = AuthSupport.body("JWT token invalid");
    private static final String NO_KEY = AuthSupport.body("missing user key in JWT token");
    private static final String BAD_KEY = AuthSupport.body("Invalid user key in JWT token");
    private static final String FAILED = AuthSupport.body("failed to verify jwt");
    private static final String BEARER = "bearer ";

    /** Tokens this plugin verified, reused while their consumer's key object is unchanged. */
    private final VerifiedTokens verified = new VerifiedTokens();

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "header": {"type": "string", "default": "authorization"},
                "query": {"type": "string", "default": "jwt"},
                "cookie": {"type": "string", "default": "jwt"},
                "hide_credentials": {"type": "boolean", "default": false},
                "key_claim_name": {"type": "string", "default": "key", "minLength": 1},
                "store_in_ctx": {"type": "boolean", "default": false},
                "realm": {"type": "string", "default": "jwt", "minLength": 1, "maxLength": 128,
                  "pattern": "^[\\\\x20-\\\\x21\\\\x23-\\\\x5B\\\\x5D-\\\\x7E]+$"},
                "anonymous_consumer": {"type": "string", "minLength": 1},
                "claims_to_verify": {"type": "array", "items": {"type": "string", "enum": ["exp", "nbf"]},
                  "uniqueItems": true}
              }
            }
            """;

    private static final String CONSUMER_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "key": {"type": "string", "minLength": 1},
                "secret": {"type": "string", "minLength": 1},
                "algorithm": {"type": "string", "default": "HS256", "enum": ["HS256", "HS384", "HS512",
                  "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"]},
                "exp": {"type": "integer", "minimum": 1, "default": 86400},
                "base64_secret": {"type": "boolean", "default": false},
                "lifetime_grace_period": {"type": "integer", "minimum": 0, "default": 0}
              },
              "dependencies": {
                "algorithm": {
                  "oneOf": [
                    {"properties": {"algorithm": {"enum": ["HS256", "HS384", "HS512"], "default": "HS256"}}},
                    {"properties": {
                       "public_key": {"type": "string", "minLength": 1},
                       "algorithm": {"enum": ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
                         "PS256", "PS384", "PS512", "EdDSA"]}},
                     "required": ["public_key"]}
                  ]
                }
              },
              "required": ["key"]
            }
            """;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void init(PluginEnv env) {
        env.metrics().capOverflows(NAME + ".verified_tokens", verified::dropped);
    }

    @Override
    public int priority() {
        return 2510;
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

    /** APISIX 3.x's; {@code private_key} is what releases before 3.11 stored (and encrypted) for signing. */
    @Override
    public List<String> consumerEncryptFields() {
        return List.of("secret", "private_key");
    }

    @Override
    public Object parseConsumerConfig(JsonObject conf) throws PluginConfigException {
        return JwtKey.parse(conf);
    }

    @Override
    public JwtAuthConfig parseConfig(JsonObject conf) {
        List<String> claims = new ArrayList<>();
        JsonArray arr = conf.getJsonArray("claims_to_verify");
        if (arr != null) {
            arr.forEach(c -> claims.add(String.valueOf(c)));
        }
        return new JwtAuthConfig(conf.getString("header", "authorization"), conf.getString("query", "jwt"),
                conf.getString("cookie", "jwt"), conf.getBoolean("hide_credentials", false),
                conf.getString("key_claim_name", "key"), conf.getBoolean("store_in_ctx", false),
                "Bearer realm=\"" + conf.getString("realm", "jwt") + "\"", conf.getString("anonymous_consumer"),
                List.copyOf(claims));
    }

    @Override
    public Future<Void> rewrite(JwtAuthConfig conf, RequestContext ctx) {
        String error = authenticate(conf, ctx);
        if (error != null) {
            if (conf.anonymousConsumer() == null) {
                AuthSupport.reject(ctx, conf.wwwAuthenticate(), error);
            } else {
                AuthSupport.attachAnonymous(ctx, NAME, conf.anonymousConsumer(), conf.wwwAuthenticate(), LOG);
            }
        }
        return Future.succeededFuture();
    }

    /** Attaches the consumer and returns null, or returns the 401 body. */
    private String authenticate(JwtAuthConfig conf, RequestContext ctx) {
        String token = fetchToken(conf, ctx);
        if (token == null) {
            return MISSING;
        }
        VerifiedTokens.Entry seen = verified.get(token);
        if (seen != null) {
            // the same token verified before by the same key object (a consumer change makes a new one):
            // its header and signature hold still; the claims are checked against the clock again below
            Object userKey = seen.payload().get(conf.keyClaimName());
            Consumers.Identity id = userKey instanceof String k ? ctx.consumers().identify(NAME, k) : null;
            if (id != null && id.conf() == seen.key()) {
                return accept(conf, ctx, id, seen.key(), seen.payload());
            }
        }
        JWSObject jws;
        Map<String, Object> payload;
        try {
            jws = JWSObject.parse(token);
            payload = jws.getPayload().toJSONObject();
        } catch (ParseException | RuntimeException e) {
            LOG.warn("JWT token invalid: {}", e.getMessage());
            return INVALID;
        }
        if (payload == null) {
            LOG.warn("JWT token invalid: the payload is not a JSON object");
            return INVALID;
        }
        Object userKey = payload.get(conf.keyClaimName());
        if (userKey == null) {
            return NO_KEY;
        }
        Consumers.Identity id = userKey instanceof String k ? ctx.consumers().identify(NAME, k) : null;
        if (id == null || !(id.conf() instanceof JwtKey key)) {
            LOG.warn("failed to find consumer: invalid user key, request {}", ctx.requestId());
            return BAD_KEY;
        }
        if (!key.algorithm().equals(jws.getHeader().getAlgorithm().getName())) {
            LOG.warn("failed to verify jwt: algorithm mismatch, expected {}", key.algorithm());
            return FAILED;
        }
        boolean valid;
        try {
            valid = key.check().verify(jws);
        } catch (Exception e) {
            valid = false; // a malformed signature or a key of the wrong size: a clean rejection, as APISIX's pcall
        }
        if (!valid) {
            LOG.warn("failed to verify jwt: signature mismatch, request {}", ctx.requestId());
            return FAILED;
        }
        verified.put(token, key, payload);
        return accept(conf, ctx, id, key, payload);
    }

    /** The claims checked against the clock, then the consumer attached (null), or the 401 body. */
    private static String accept(JwtAuthConfig conf, RequestContext ctx, Consumers.Identity id, JwtKey key,
                                 Map<String, Object> payload) {
        String claimError = verifyClaims(payload, conf.claimsToVerify(), key.gracePeriodSeconds(),
                System.currentTimeMillis() / 1000);
        if (claimError != null) {
            LOG.error("failed to verify jwt: {}", claimError);
            return FAILED;
        }
        if (conf.storeInCtx()) {
            // a deep copy: the payload may be shared with later requests of the same token
            ctx.setVar(PAYLOAD_VAR, new JsonObject(payload).copy());
        }
        ctx.attachConsumer(id.consumer());
        return null;
    }

    private static final List<String> DEFAULT_CLAIMS = List.of("nbf", "exp");

    /**
     * APISIX's {@code verify_claims}: without {@code claims_to_verify}, {@code nbf} and {@code exp}
     * are checked when present; with it, the listed ones must be present. Null when valid, else the reason.
     */
    static String verifyClaims(Map<String, Object> payload, List<String> required, long leeway, long now) {
        boolean mustExist = !required.isEmpty();
        for (String name : mustExist ? required : DEFAULT_CLAIMS) {
            Object claim = payload.get(name);
            if (claim == null) {
                if (mustExist) {
                    return "claim " + name + " is missing";
                }
                continue;
            }
            if (!(claim instanceof Number n)) {
                return "claim " + name + " is not a number";
            }
            double v = n.doubleValue();
            if (name.equals("nbf") && !(v < now + leeway)) {
                return "'nbf' claim not valid until " + (long) v;
            }
            if (name.equals("exp") && !(v > now - leeway)) {
                return "'exp' claim expired at " + (long) v;
            }
        }
        return null;
    }

    /** The token from the header, the query argument or the cookie, removed from the proxied request when asked. */
    private static String fetchToken(JwtAuthConfig conf, RequestContext ctx) {
        HttpServerRequest req = ctx.request();
        ProxyRequest pr = ctx.proxyRequest();
        String token = req.getHeader(conf.header());
        if (token != null) {
            if (conf.hideCredentials()) {
                pr.headers().remove(conf.header());
            }
            return token.regionMatches(true, 0, BEARER, 0, BEARER.length()) ? token.substring(BEARER.length()) : token;
        }
        token = req.getParam(conf.query());
        if (token != null) {
            if (conf.hideCredentials()) {
                pr.uri(AuthSupport.withoutQueryArg(pr.uri(), conf.query()));
            }
            return token;
        }
        Cookie cookie = req.getCookie(conf.cookie());
        if (cookie == null) {
            return null;
        }
        if (conf.hideCredentials()) {
            List<String> kept = new ArrayList<>();
            for (String header : pr.headers().getAll("Cookie")) {
                String rest = withoutCookie(header, conf.cookie());
                if (!rest.isEmpty()) {
                    kept.add(rest);
                }
            }
            pr.headers().remove("Cookie");
            if (!kept.isEmpty()) {
                pr.headers().set("Cookie", String.join("; ", kept));
            }
        }
        return cookie.getValue();
    }

    /** A Cookie header value without the cookie {@code name}. */
    static String withoutCookie(String header, String name) {
        StringBuilder out = new StringBuilder();
        for (String part : header.split(";")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (p.isEmpty() || (eq < 0 ? p : p.substring(0, eq).trim()).equals(name)) {
                continue;
            }
            if (out.length() > 0) {
                out.append("; ");
            }
            out.append(p);
        }
        return out.toString();
    }
}
