package dev.aigw.plugins.aiproxy.provider;

import dev.aigw.gateway.crypto.Sha256;
import io.vertx.core.MultiMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * AWS Signature Version 4 with the JDK's crypto, as documented in "Create a signed AWS API request"
 * (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) and checked against AWS's
 * published test suite: a canonical request (method, the path with each segment URI-encoded again as
 * every service but S3 expects, the sorted query, the signed headers, the payload's SHA-256), the
 * string to sign over the credential scope, and the HMAC-SHA256 key chain
 * {@code AWS4<secret> → date → region → service → aws4_request}.
 *
 * <p>Immutable; the secret never appears in {@link #toString()}.
 */
public final class AwsSigV4 {

    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final String region;
    private final String service;

    /**
     * @param sessionToken the temporary credentials' token ({@code X-Amz-Security-Token}), or null
     */
    public AwsSigV4(String accessKeyId, String secretAccessKey, String sessionToken, String region, String service) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.sessionToken = sessionToken;
        this.region = region;
        this.service = service;
    }

    /**
     * Signs a request: sets {@code X-Amz-Date} (and {@code X-Amz-Security-Token}) and
     * {@code Authorization} on {@code headers}. The signed headers are {@code host}, the
     * {@code content-type} and every {@code x-amz-*} header present.
     *
     * @param host    the Host header value
     * @param uri     the path and query as sent (already percent-encoded)
     * @param payload the body bytes (empty for none)
     */
    public void sign(String method, String host, String uri, MultiMap headers, byte[] payload, Instant now) {
        String amzDate = AMZ_DATE.format(now);
        String date = amzDate.substring(0, 8);
        headers.set("X-Amz-Date", amzDate);
        if (sessionToken != null) {
            headers.set("X-Amz-Security-Token", sessionToken);
        }
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        String query = q < 0 ? "" : uri.substring(q + 1);

        TreeMap<String, String> signed = new TreeMap<>();
        signed.put("host", host.trim());
        for (Map.Entry<String, String> h : headers) {
            String n = h.getKey().toLowerCase(Locale.ROOT);
            if (n.equals("content-type") || n.startsWith("x-amz-")) {
                signed.merge(n, h.getValue().trim().replaceAll(" +", " "), (a, b) -> a + "," + b);
            }
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        for (Map.Entry<String, String> e : signed.entrySet()) {
            canonicalHeaders.append(e.getKey()).append(':').append(e.getValue()).append('\n');
        }
        String signedHeaders = String.join(";", signed.keySet());
        String canonicalRequest = method + "\n" + canonicalPath(path) + "\n" + canonicalQuery(query) + "\n"
                + canonicalHeaders + "\n" + signedHeaders + "\n" + HEX.formatHex(sha256(payload));
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + HEX.formatHex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        String signature = HEX.formatHex(hmac(signingKey(date), stringToSign));
        headers.set("Authorization", "AWS4-HMAC-SHA256 Credential=" + accessKeyId + "/" + scope
                + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
    }

    /** The derived signing key for a date ({@code yyyyMMdd}). */
    byte[] signingKey(String date) {
        byte[] k = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), date);
        k = hmac(k, region);
        k = hmac(k, service);
        return hmac(k, "aws4_request");
    }

    /** Each segment of an (already encoded) path URI-encoded again; "/" for an empty path. */
    static String canonicalPath(String path) {
        if (path.isEmpty()) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        String[] segs = path.split("/", -1);
        for (int i = 0; i < segs.length; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(uriEncode(segs[i]));
        }
        return sb.toString();
    }

    /** The query's parameters sorted by name then value (their encoding kept as sent). */
    static String canonicalQuery(String query) {
        if (query.isEmpty()) {
            return "";
        }
        List<String[]> params = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            params.add(new String[] {eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1)});
        }
        params.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        StringBuilder sb = new StringBuilder();
        for (String[] p : params) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(p[0]).append('=').append(p[1]);
        }
        return sb.toString();
    }

    /** RFC 3986 encoding: everything but {@code A-Z a-z 0-9 - _ . ~} as {@code %XX} (upper case). */
    static String uriEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~') {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    private static byte[] sha256(byte[] data) {
        return Sha256.of(data);
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "AwsSigV4[" + region + "/" + service + "]"; // never the keys
    }
}
