package dev.aigw.plugins.proxyrewrite;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code regex_uri} pair, compiled once: a pattern and an {@code ngx.re.sub} replacement template
 * ({@code $0}…{@code $N}, {@code ${N}}, {@code $$} for a literal dollar). Only the first match is
 * replaced, as {@code ngx.re.sub}.
 */
public record RegexRule(Pattern pattern, String replacementSource, List<Object> replacement) {

    /** The rewritten uri and the match's groups (0 = whole match; null for a group that did not take part). */
    public record Result(String uri, String[] captures) {
    }

    /**
     * Compiles a pair.
     *
     * @throws IllegalArgumentException with the reason when the pattern or the replacement is invalid
     */
    static RegexRule compile(String regex, String replacement) {
        Pattern p = Pattern.compile(regex);
        List<Object> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < replacement.length()) {
            char c = replacement.charAt(i);
            if (c != '$') {
                lit.append(c);
                i++;
                continue;
            }
            if (i + 1 >= replacement.length()) {
                throw new IllegalArgumentException("invalid capturing variable name found");
            }
            char next = replacement.charAt(i + 1);
            int group;
            if (next == '$') {
                lit.append('$');
                i += 2;
                continue;
            } else if (next >= '0' && next <= '9') {
                int j = i + 1;
                while (j < replacement.length() && Character.isDigit(replacement.charAt(j))) {
                    j++;
                }
                group = Integer.parseInt(replacement.substring(i + 1, Math.min(j, i + 10)));
                i = j;
            } else if (next == '{') {
                int close = replacement.indexOf('}', i + 2);
                String inner = close < 0 ? "" : replacement.substring(i + 2, close);
                if (inner.isEmpty() || !inner.chars().allMatch(Character::isDigit) || inner.length() > 9) {
                    throw new IllegalArgumentException("invalid capturing variable name found");
                }
                group = Integer.parseInt(inner);
                i = close + 1;
            } else {
                throw new IllegalArgumentException("invalid capturing variable name found");
            }
            if (lit.length() > 0) {
                parts.add(lit.toString());
                lit.setLength(0);
            }
            parts.add(group);
        }
        if (lit.length() > 0) {
            parts.add(lit.toString());
        }
        return new RegexRule(p, replacement, List.copyOf(parts));
    }

    /** Applies the rule to a uri; null when the pattern does not match. */
    Result apply(String uri) {
        Matcher m = pattern.matcher(uri);
        if (!m.find()) {
            return null;
        }
        String[] captures = new String[m.groupCount() + 1];
        for (int g = 0; g <= m.groupCount(); g++) {
            captures[g] = m.group(g);
        }
        StringBuilder out = new StringBuilder(uri.length() + 16);
        out.append(uri, 0, m.start());
        for (Object part : replacement) {
            if (part instanceof Integer g) {
                if (g < captures.length && captures[g] != null) {
                    out.append(captures[g]);
                }
            } else {
                out.append((String) part);
            }
        }
        out.append(uri, m.end(), uri.length());
        return new Result(out.toString(), captures);
    }
}
