package dev.aigw.testkit;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A tiny block-style YAML writer for test configs: maps, lists, strings, numbers, booleans, null.
 * Strings are always double-quoted with JSON-style escapes, which YAML reads the same way, so a
 * value can never be mistaken for another type.
 */
final class Yaml {

    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");

    private Yaml() {
    }

    /** {@code map} as a YAML document. */
    static String write(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder();
        writeMap(sb, map, 0);
        return sb.toString();
    }

    private static void writeMap(StringBuilder sb, Map<?, ?> map, int indent) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            sb.append(" ".repeat(indent)).append(key(String.valueOf(e.getKey()))).append(':');
            writeValueAfterKey(sb, e.getValue(), indent);
        }
    }

    private static void writeList(StringBuilder sb, List<?> list, int indent) {
        for (Object item : list) {
            sb.append(" ".repeat(indent)).append('-');
            writeValueAfterKey(sb, item, indent);
        }
    }

    private static void writeValueAfterKey(StringBuilder sb, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append(" {}\n");
            } else {
                sb.append('\n');
                writeMap(sb, m, indent + 2);
            }
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append(" []\n");
            } else {
                sb.append('\n');
                writeList(sb, l, indent + 2);
            }
        } else {
            sb.append(' ').append(scalar(v)).append('\n');
        }
    }

    private static String key(String k) {
        return PLAIN_KEY.matcher(k).matches() ? k : quote(k);
    }

    static String scalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return quote(v.toString());
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
