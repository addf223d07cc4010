package dev.aigw.plugins.aiproxy.provider;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * OAuth2 access tokens for a GCP service account, as APISIX's {@code google-cloud-oauth}: an RS256
 * JWT assertion signed with the account's private key is exchanged at the key's {@code token_uri}.
 *
 * <p>The token is cached and reused until {@code expire_early_secs} before it expires ({@code max_ttl}
 * caps how long it is kept). Minting is single-flight: while one exchange is under way, every
 * request (from any event loop) waits for that same exchange instead of starting its own. A failed
 * exchange is not cached. Each caller's continuation runs back on its own Vert.x context.
 */
public final class GcpTokenSource {

    /** The parts of a service-account key file that minting needs. */
    public record ServiceAccount(String clientEmail, PrivateKey privateKey, String tokenUri, String scope) {

        @Override
        public String toString() {
            return "ServiceAccount[" + clientEmail + "]"; // never the key
        }
    }

    private static final String DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";
    private static final String DEFAULT_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

    private final ServiceAccount account;
    private final Integer maxTtlSecs;
    private final int expireEarlySecs;

    private String token;
    private long expiresAtNanos;
    private Future<String> inflight;

    public GcpTokenSource(ServiceAccount account, Integer maxTtlSecs, int expireEarlySecs) {
        this.account = account;
        this.maxTtlSecs = maxTtlSecs;
        this.expireEarlySecs = expireEarlySecs;
    }

    public ServiceAccount account() {
        return account;
    }

    /** Parses a service-account key JSON; the message of the exception says what is wrong (never the key). */
    public static ServiceAccount parse(String json) {
        JsonObject o;
        try {
            o = new JsonObject(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String email = o.getValue("client_email") instanceof String s ? s : null;
        String pem = o.getValue("private_key") instanceof String s ? s : null;
        if (email == null) {
            throw new IllegalArgumentException("client_email is missing");
        }
        if (pem == null) {
            throw new IllegalArgumentException("private_key is missing");
        }
        String tokenUri = o.getValue("token_uri") instanceof String s ? s : DEFAULT_TOKEN_URI;
        String scope = DEFAULT_SCOPE;
        Object sc = o.getValue("scope");
        if (sc instanceof String s) {
            scope = s;
        } else if (sc instanceof io.vertx.core.json.JsonArray a) {
            StringBuilder sb = new StringBuilder();
            for (Object v : a) {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(v);
            }
            scope = sb.toString();
        }
        try {
            URI u = URI.create(tokenUri);
            if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                throw new IllegalArgumentException("token_uri is not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("token_uri is not an http(s) URL");
        }
        return new ServiceAccount(email, privateKey(pem), tokenUri, scope);
    }

    private static PrivateKey privateKey(String pem) {
        String b64 = pem.replaceAll("-----(BEGIN|END) [A-Z ]*PRIVATE KEY-----", "").replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(b64);
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("private_key is not a PKCS#8 RSA key");
        }
    }

    /**
     * A valid access token: the cached one, or the result of the exchange under way, or a new exchange.
     * The returned future completes on the caller's context.
     */
    public Future<String> token(Vertx vertx, HttpClient client, long timeoutMs) {
        Future<String> shared;
        Promise<String> leader = null;
        synchronized (this) {
            if (token != null && System.nanoTime() - expiresAtNanos < 0) {
                return Future.succeededFuture(token);
            }
            if (inflight == null) {
                leader = Promise.promise();
                inflight = leader.future();
            }
            shared = inflight;
        }
        if (leader != null) {
            Promise<String> done = leader;
            mint(client, timeoutMs).onComplete(ar -> {
                synchronized (GcpTokenSource.this) {
                    inflight = null;
                }
                done.handle(ar);
            });
        }
        Context caller = vertx.getOrCreateContext();
        Promise<String> mine = Promise.promise();
        shared.onComplete(ar -> caller.runOnContext(v -> mine.handle(ar)));
        return mine.future();
    }

    private Future<String> mint(HttpClient client, long timeoutMs) {
        String assertion;
        try {
            assertion = jwt();
        } catch (GeneralSecurityException e) {
            return Future.failedFuture("failed to sign the JWT assertion: " + e.getClass().getSimpleName());
        }
        String form = "grant_type=" + enc("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + enc(assertion);
        URI u = URI.create(account.tokenUri());
        boolean ssl = "https".equals(u.getScheme());
        String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(u.getHost())
                .setPort(u.getPort() > 0 ? u.getPort() : (ssl ? 443 : 80))
                .setSsl(ssl)
                .setURI(path)
                .setConnectTimeout(timeoutMs)
                .setIdleTimeout(timeoutMs)
                .putHeader("Content-Type", "application/x-www-form-urlencoded");
        return client.request(ro)
                .compose(req -> req.send(Buffer.buffer(form)))
                .compose(resp -> resp.body().compose(body -> {
                    if (resp.statusCode() != 200) {
                        return Future.failedFuture("token endpoint answered " + resp.statusCode());
                    }
                    JsonObject o;
                    try {
                        o = body.toJsonObject();
                    } catch (RuntimeException e) {
                        return Future.failedFuture("token endpoint answered non-JSON");
                    }
                    if (!(o.getValue("access_token") instanceof String t)) {
                        return Future.failedFuture("token endpoint answered no access_token");
                    }
                    long ttl = o.getValue("expires_in") instanceof Number n ? n.longValue() : 3600;
                    if (ttl > expireEarlySecs) {
                        ttl -= expireEarlySecs;
                    }
                    if (maxTtlSecs != null && ttl > maxTtlSecs) {
                        ttl = maxTtlSecs;
                    }
                    synchronized (this) {
                        token = t;
                        expiresAtNanos = System.nanoTime() + ttl * 1_000_000_000L;
                    }
                    return Future.succeededFuture(t);
                }));
    }

    private String jwt() throws GeneralSecurityException {
        long now = System.currentTimeMillis() / 1000;
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(new JsonObject()
                .put("iss", account.clientEmail())
                .put("aud", account.tokenUri())
                .put("scope", account.scope())
                .put("iat", now)
                .put("exp", now + 3600)
                .encode().getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(account.privateKey());
        sig.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + b64.encodeToString(sig.sign());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
