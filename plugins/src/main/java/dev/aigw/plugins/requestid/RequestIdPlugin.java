package dev.aigw.plugins.requestid;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * APISIX's {@code request-id} (priority 12015, rewrite + header filter): the client's
 * {@code header_name} header (default {@code X-Request-Id}) is kept when present, else one is made
 * with {@code algorithm} ({@code uuid}, {@code uuidv7}, {@code nanoid}, {@code ksuid},
 * {@code range_id}) and sent upstream; with {@code include_in_response} (default) it goes back to the
 * client unless the upstream already answered with one. The id also becomes
 * {@code $apisix_request_id}, so the access log and loggers carry the same id.
 */
public final class RequestIdPlugin implements Plugin<RequestIdPlugin.Config> {

    /** Parsed configuration. */
    public record Config(String headerName, boolean includeInResponse, String algorithm, int rangeLength,
                         String rangeCharSet) {
    }

    private static final String DEFAULT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIGKLMNOPQRSTUVWXYZ0123456789";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "header_name": {"type": "string", "default": "X-Request-Id"},
                "include_in_response": {"type": "boolean", "default": true},
                "algorithm": {"type": "string", "enum": ["uuid", "nanoid", "range_id", "ksuid", "uuidv7"], "default": "uuid"},
                "range_id": {
                  "type": "object",
                  "properties": {
                    "length": {"type": "integer", "minimum": 6, "default": 16},
                    "char_set": {"type": "string", "minLength": 6, "default": "%s"}
                  }
                }
              }
            }
            """.formatted(DEFAULT_CHARS);

    private static final String NANOID_ALPHABET = "-_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final long KSUID_EPOCH = 1_400_000_000L;
    private static final SecureRandom SECURE = new SecureRandom();
    private static final Object ID_KEY = new Object();

    @Override
    public String name() {
        return "request-id";
    }

    @Override
    public int priority() {
        return 12015;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) {
        JsonObject range = conf.getJsonObject("range_id", new JsonObject());
        return new Config(conf.getString("header_name", "X-Request-Id"), conf.getBoolean("include_in_response", true),
                conf.getString("algorithm", "uuid"), range.getInteger("length", 16),
                range.getString("char_set", DEFAULT_CHARS));
    }

    @Override
    public Future<Void> rewrite(Config conf, RequestContext ctx) {
        String id = ctx.request().getHeader(conf.headerName());
        if (id == null || id.isEmpty()) {
            id = generate(conf);
            ctx.proxyRequest().headers().set(conf.headerName(), id);
        }
        ctx.put(ID_KEY, id);
        ctx.requestId(id);
        return Future.succeededFuture();
    }

    @Override
    public void headerFilter(Config conf, RequestContext ctx) {
        String id = ctx.get(ID_KEY);
        if (!conf.includeInResponse() || id == null) {
            return;
        }
        String sent = ctx.response().headers().get(conf.headerName());
        // the core echoes X-Request-Id with $apisix_request_id, which is this id too
        if (sent == null || sent.isEmpty() || conf.headerName().equalsIgnoreCase("X-Request-Id")) {
            ctx.response().headers().set(conf.headerName(), id);
        }
    }

    static String generate(Config conf) {
        return switch (conf.algorithm()) {
            case "uuidv7" -> uuidV7();
            case "nanoid" -> nanoid();
            case "ksuid" -> ksuid();
            case "range_id" -> rangeId(conf.rangeLength(), conf.rangeCharSet());
            default -> UUID.randomUUID().toString();
        };
    }

    /** RFC 9562 version 7: 48 bits of Unix milliseconds, then random bits. */
    static String uuidV7() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long ms = System.currentTimeMillis();
        long msb = (ms << 16) | 0x7000L | (r.nextLong() & 0x0fffL);
        long lsb = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    /** 21 characters of nanoid's URL-safe alphabet from a secure random source. */
    static String nanoid() {
        byte[] bytes = new byte[21];
        SECURE.nextBytes(bytes);
        char[] out = new char[21];
        for (int i = 0; i < 21; i++) {
            out[i] = NANOID_ALPHABET.charAt(bytes[i] & 63);
        }
        return new String(out);
    }

    /** A KSUID: 4 bytes of seconds since 2014-05-13 and 16 random bytes, as 27 base62 characters. */
    static String ksuid() {
        byte[] raw = new byte[20];
        long ts = System.currentTimeMillis() / 1000 - KSUID_EPOCH;
        raw[0] = (byte) (ts >>> 24);
        raw[1] = (byte) (ts >>> 16);
        raw[2] = (byte) (ts >>> 8);
        raw[3] = (byte) ts;
        byte[] payload = new byte[16];
        SECURE.nextBytes(payload);
        System.arraycopy(payload, 0, raw, 4, 16);
        java.math.BigInteger n = new java.math.BigInteger(1, raw);
        char[] out = new char[27];
        java.math.BigInteger base = java.math.BigInteger.valueOf(62);
        for (int i = 26; i >= 0; i--) {
            java.math.BigInteger[] qr = n.divideAndRemainder(base);
            out[i] = BASE62.charAt(qr[1].intValue());
            n = qr[0];
        }
        return new String(out);
    }

    static String rangeId(int length, String chars) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = chars.charAt(r.nextInt(chars.length()));
        }
        return new String(out);
    }
}
