package dev.aigw.gateway.log;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code nginx_config.http.access_log_format} compiled once into literal and variable segments, and
 * rendered per request with nginx's {@code log_format escape=} rules.
 *
 * <p>Syntax (nginx's): {@code $name} where the name is letters, digits and {@code _}, or
 * {@code ${name}} to glue a variable to following text. Inside braces a {@code .} is also accepted so
 * that {@code ${post_arg.model}} works (nginx itself has no dotted variables). As APISIX hands the
 * format to nginx inside a single-quoted string, nginx's quoted-string escapes ({@code \"},
 * {@code \'}, {@code \\}, {@code \n}, {@code \r}, {@code \t}) are applied to the literal text;
 * trailing line breaks (a YAML {@code |} block leaves one) are dropped because every line already
 * ends with one.
 *
 * <p>Values: an unset or unknown variable renders as {@code -} ({@link Escape#DEFAULT},
 * {@link Escape#NONE}) or as nothing ({@link Escape#JSON}), exactly as nginx. The escaping keeps a
 * value from breaking the line or forging another entry: {@code DEFAULT} writes {@code "}, {@code \},
 * control bytes and bytes &ge; 0x7f as {@code \xHH}; {@code JSON} escapes as a JSON string body.
 *
 * <p>Immutable and thread-safe.
 */
public final class AccessLogFormat {

    /** APISIX's default {@code access_log_format} ({@code apisix/cli/config.lua}). */
    public static final String DEFAULT_FORMAT = "$remote_addr - $remote_user [$time_local] $http_host "
            + "\"$request\" $status $body_bytes_sent $request_time \"$http_referer\" \"$http_user_agent\" "
            + "$upstream_addr $upstream_status $upstream_response_time "
            + "\"$upstream_scheme://$upstream_host$upstream_uri\" \"$apisix_request_id\"";

    /** nginx's {@code log_format escape=} modes. */
    public enum Escape {
        /** {@code "}, {@code \}, bytes &lt; 0x20 and &ge; 0x7f as {@code \xHH}; unset as {@code -}. */
        DEFAULT,
        /** JSON string escaping; unset as the empty string. */
        JSON,
        /** No escaping at all (nginx's {@code escape=none}); unset as {@code -}. */
        NONE;

        /** Parses {@code default} / {@code json} / {@code none} (null means default). */
        public static Escape parse(String s) {
            if (s == null || s.isEmpty()) {
                return DEFAULT;
            }
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "default" -> DEFAULT;
                case "json" -> JSON;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException(
                        "unknown log escaping \"" + s + "\": expected default, json or none");
            };
        }
    }

    /** One piece of a compiled format. */
    public sealed interface Segment permits Literal, Variable {
    }

    /** Text copied as it is. */
    public record Literal(String text) implements Segment {
    }

    /** A variable, looked up with {@link RequestContext#var(String)}. */
    public record Variable(String name) implements Segment {
    }

    private final String source;
    private final Escape escape;
    private final List<Segment> segments;
    private final int estimate;

    private AccessLogFormat(String source, Escape escape, List<Segment> segments) {
        this.source = source;
        this.escape = escape;
        this.segments = segments;
        int n = 0;
        for (Segment s : segments) {
            n += s instanceof Literal l ? l.text().length() : 16;
        }
        this.estimate = n;
    }

    /** APISIX's default format with its default escaping. */
    public static AccessLogFormat defaults() {
        return compile(DEFAULT_FORMAT, Escape.DEFAULT);
    }

    /**
     * Compiles a format.
     *
     * @throws IllegalArgumentException on a {@code $} not followed by a variable name or a
     *                                  {@code ${} without its closing brace (nginx refuses both)
     */
    public static AccessLogFormat compile(String format, Escape escape) {
        if (format == null) {
            throw new IllegalArgumentException("access_log_format is missing");
        }
        String f = format;
        int end = f.length();
        while (end > 0 && (f.charAt(end - 1) == '\n' || f.charAt(end - 1) == '\r')) {
            end--;
        }
        f = f.substring(0, end);

        List<Segment> out = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < f.length()) {
            char c = f.charAt(i);
            if (c == '\\' && i + 1 < f.length()) {
                char n = f.charAt(i + 1);
                switch (n) {
                    case '"', '\'', '\\' -> lit.append(n);
                    case 'n' -> lit.append('\n');
                    case 'r' -> lit.append('\r');
                    case 't' -> lit.append('\t');
                    default -> lit.append(c).append(n);
                }
                i += 2;
                continue;
            }
            if (c != '$') {
                lit.append(c);
                i++;
                continue;
            }
            int start = i + 1;
            boolean braced = start < f.length() && f.charAt(start) == '{';
            int p = braced ? start + 1 : start;
            int nameStart = p;
            while (p < f.length() && isNameChar(f.charAt(p), braced)) {
                p++;
            }
            String name = f.substring(nameStart, p);
            if (braced) {
                if (p >= f.length() || f.charAt(p) != '}') {
                    throw new IllegalArgumentException(
                            "the closing bracket in \"" + name + "\" variable is missing in access_log_format");
                }
                p++;
            }
            if (name.isEmpty()) {
                throw new IllegalArgumentException("invalid variable name at offset " + i + " in access_log_format");
            }
            if (lit.length() > 0) {
                out.add(new Literal(lit.toString()));
                lit.setLength(0);
            }
            out.add(new Variable(name));
            i = p;
        }
        if (lit.length() > 0) {
            out.add(new Literal(lit.toString()));
        }
        return new AccessLogFormat(format, escape, List.copyOf(out));
    }

    private static boolean isNameChar(char c, boolean braced) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                || (braced && c == '.');
    }

    public String source() {
        return source;
    }

    public Escape escape() {
        return escape;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** Renders one line (without the line break). Runs on the event loop: no blocking, few allocations. */
    public String format(RequestContext ctx) {
        StringBuilder sb = new StringBuilder(estimate);
        format(ctx, sb);
        return sb.toString();
    }

    /** Appends one line (without the line break) to {@code out}. */
    public void format(RequestContext ctx, StringBuilder out) {
        for (Segment s : segments) {
            if (s instanceof Literal l) {
                out.append(l.text());
            } else {
                Object v;
                try {
                    v = ctx.var(((Variable) s).name());
                } catch (RuntimeException e) {
                    v = null; // a broken resolver must not lose the whole line
                }
                appendValue(v, out);
            }
        }
    }

    private void appendValue(Object v, StringBuilder out) {
        if (v == null) {
            if (escape != Escape.JSON) {
                out.append('-');
            }
            return;
        }
        String s = stringOf(v);
        switch (escape) {
            case DEFAULT -> escapeDefault(s, out);
            case JSON -> escapeJson(s, out);
            case NONE -> out.append(s);
        }
    }

    /** How a value prints: numbers without exponent, whole doubles without {@code .0} (as Lua's tostring). */
    static String stringOf(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return String.valueOf(d);
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (v instanceof JsonObject o) {
            return o.encode();
        }
        if (v instanceof JsonArray a) {
            return a.encode();
        }
        return v.toString();
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** nginx's default log escaping, byte-wise over the value's UTF-8 encoding. */
    static void escapeDefault(String s, StringBuilder out) {
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                if (c == '"' || c == '\\') {
                    hex(c, out);
                } else {
                    out.append(c);
                }
            } else if (c < 0x80) {
                hex(c, out);
            } else {
                int cp = s.codePointAt(i);
                if (Character.isSupplementaryCodePoint(cp)) {
                    i++;
                }
                byte[] bytes = Character.isSurrogate(c) && cp == c
                        ? new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD} // a lone surrogate: U+FFFD
                        : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                for (byte b : bytes) {
                    hex(b & 0xff, out);
                }
            }
        }
    }

    private static void hex(int b, StringBuilder out) {
        out.append('\\').append('x').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }

    /** nginx's {@code escape=json}: a JSON string body; non-ASCII passes through as UTF-8. */
    static void escapeJson(String s, StringBuilder out) {
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    } else if (c == '\u2028' || c == '\u2029') {
                        // valid JSON, but some line-oriented readers treat them as line breaks
                        out.append("\\u").append(c == '\u2028' ? "2028" : "2029");
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "AccessLogFormat[" + escape + ", " + source + "]";
    }
}
