package dev.aigw.plugins.proxyrewrite;

import dev.aigw.gateway.context.RequestContext;

import java.util.ArrayList;
import java.util.List;

/**
 * A string with APISIX variable references, compiled once: {@code $name}, {@code ${name}},
 * {@code ${name ?? default}} (resolved through {@link RequestContext#var}, unset renders empty), and,
 * for header values, regex captures {@code $1} / {@code ${1}} from {@code regex_uri}. A {@code $}
 * preceded by a backslash is kept literally (backslash included), as {@code core.utils.resolve_var}.
 */
public final class Template {

    private sealed interface Part permits Literal, Var, Capture {
    }

    private record Literal(String text) implements Part {
    }

    private record Var(String name, String dflt) implements Part {
    }

    private record Capture(int group) implements Part {
    }

    private final String source;
    private final List<Part> parts;
    /** Fast path: no reference at all. */
    private final String constant;

    private Template(String source, List<Part> parts) {
        this.source = source;
        this.parts = parts;
        this.constant = parts.isEmpty() ? "" : parts.size() == 1 && parts.get(0) instanceof Literal l ? l.text : null;
    }

    /**
     * Compiles a template.
     *
     * @param captures whether {@code $N} means a regex capture (header values) or a variable named N (uri)
     */
    public static Template compile(String s, boolean captures) {
        List<Part> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c != '$' || (i > 0 && s.charAt(i - 1) == '\\') || i + 1 >= n) {
                lit.append(c);
                i++;
                continue;
            }
            char next = s.charAt(i + 1);
            Part part = null;
            int end = i;
            if (captures && isDigit(next)) {
                int j = i + 1;
                while (j < n && isDigit(s.charAt(j))) {
                    j++;
                }
                part = new Capture(Integer.parseInt(s.substring(i + 1, Math.min(j, i + 10))));
                end = j;
            } else if (next == '{') {
                int close = s.indexOf('}', i + 2);
                if (close > i + 2) {
                    String inner = s.substring(i + 2, close).trim();
                    if (captures && !inner.isEmpty() && inner.chars().allMatch(Template::isDigit)) {
                        part = new Capture(Integer.parseInt(inner.substring(0, Math.min(inner.length(), 9))));
                    } else if (!inner.isEmpty()) {
                        int dq = inner.indexOf("??");
                        part = dq < 0 ? new Var(inner, null)
                                : new Var(inner.substring(0, dq).trim(), inner.substring(dq + 2).trim());
                    }
                    end = close + 1;
                }
            } else if (isWord(next)) {
                int j = i + 1;
                while (j < n && isWord(s.charAt(j))) {
                    j++;
                }
                part = new Var(s.substring(i + 1, j), null);
                end = j;
            }
            if (part == null) {
                lit.append(c);
                i++;
                continue;
            }
            if (lit.length() > 0) {
                parts.add(new Literal(lit.toString()));
                lit.setLength(0);
            }
            parts.add(part);
            i = end;
        }
        if (lit.length() > 0) {
            parts.add(new Literal(lit.toString()));
        }
        return new Template(s, List.copyOf(parts));
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    /** PCRE's {@code [\w.]}. */
    private static boolean isWord(char c) {
        return c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c);
    }

    /** True when the template has no reference (rendering returns the source). */
    public boolean isConstant() {
        return constant != null;
    }

    /**
     * Renders the template.
     *
     * @param captures          groups of the regex_uri match (index 0 the whole match), or null
     * @param escapeQuestionMark encode {@code ?} in variable values as {@code %3F} (uri rewriting)
     */
    public String render(RequestContext ctx, String[] captures, boolean escapeQuestionMark) {
        if (constant != null) {
            return constant;
        }
        StringBuilder out = new StringBuilder(source.length() + 32);
        for (Part p : parts) {
            if (p instanceof Literal l) {
                out.append(l.text);
            } else if (p instanceof Capture c) {
                if (captures != null && c.group < captures.length && captures[c.group] != null) {
                    out.append(captures[c.group]);
                }
            } else if (p instanceof Var v) {
                Object value = ctx.var(v.name);
                String s = value != null ? value.toString() : v.dflt;
                if (s != null) {
                    out.append(escapeQuestionMark ? s.replace("?", "%3F") : s);
                }
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return source;
    }
}
