package dev.aigw.gateway.context;

import io.vertx.core.buffer.Buffer;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Parses a request body once for {@code post_arg.*}: a JSON object, or a url-encoded form. */
final class BodyParser {

    private BodyParser() {
    }

    static Object parse(String contentType, Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        String ct = contentType == null ? "" : contentType.toLowerCase();
        if (ct.startsWith("application/x-www-form-urlencoded")) {
            return parseForm(body.toString(StandardCharsets.UTF_8));
        }
        // JSON is the default for AI traffic; clients often omit or misstate the content type.
        byte first = firstNonSpace(body);
        if (first == '{') {
            return JsonBodies.parseObject(body);
        }
        if (ct.isEmpty()) {
            return parseForm(body.toString(StandardCharsets.UTF_8));
        }
        return null;
    }

    private static byte firstNonSpace(Buffer b) {
        for (int i = 0; i < b.length(); i++) {
            byte c = b.getByte(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return c;
            }
        }
        return 0;
    }

    private static Map<String, String> parseForm(String s) {
        Map<String, String> out = new HashMap<>();
        for (String pair : s.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return out;
    }
}
