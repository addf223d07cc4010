package dev.aigw.gateway.route.match;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The path routes are matched against, as nginx's {@code $uri}: percent-decoded, with repeated
 * slashes merged and {@code .} / {@code ..} segments resolved. Matching on the raw path would let
 * {@code /%61dmin} or {@code /v1/../admin} slip past a route meant for {@code /admin}.
 */
public final class RequestPath {

    private RequestPath() {
    }

    /** Normalizes a raw request path (no query). Returns the argument itself when nothing changes. */
    public static String normalize(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "/";
        }
        if (raw.indexOf('%') < 0 && raw.indexOf("//") < 0 && raw.indexOf("/.") < 0) {
            return raw; // the common case: nothing to do, nothing allocated
        }
        String decoded = raw.indexOf('%') < 0 ? raw : decode(raw);
        return removeDots(decoded);
    }

    private static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static String removeDots(String path) {
        boolean absolute = path.startsWith("/");
        String[] segments = path.split("/", -1);
        String[] stack = new String[segments.length];
        int top = 0;
        boolean trailingSlash = false;
        for (int i = 0; i < segments.length; i++) {
            String seg = segments[i];
            boolean last = i == segments.length - 1;
            if (seg.isEmpty()) {
                trailingSlash = last && i > 0;
                continue;
            }
            if (seg.equals(".")) {
                trailingSlash = last;
                continue;
            }
            if (seg.equals("..")) {
                if (top > 0) {
                    top--;
                }
                trailingSlash = last;
                continue;
            }
            stack[top++] = seg;
            trailingSlash = false;
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < top; i++) {
            if (i > 0 || absolute) {
                sb.append('/');
            }
            sb.append(stack[i]);
        }
        if (trailingSlash || sb.length() == 0) {
            sb.append('/');
        }
        return sb.toString();
    }
}
