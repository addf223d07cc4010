package dev.aigw.gateway.route.match;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One route uri compiled as lua-resty-radixtree (with parameters) does:
 * <ul>
 * <li>no {@code :} and no {@code *}: an exact path;</li>
 * <li>a {@code *}: a prefix, the text before the first {@code *} ({@code /v1/*} matches
 *     {@code /v1/x} but not {@code /v1}; {@code /foo*} matches {@code /foo} and {@code /foobar});</li>
 * <li>a {@code :}: a prefix up to the first {@code :}, then the whole path must match the pattern
 *     where each {@code :name} segment is one non-empty segment and each {@code *name} segment
 *     (anywhere) is any rest, including slashes ({@code /user/:id}, {@code /files/*path}).</li>
 * </ul>
 * Captured segments are exposed as {@code uri_param_<name>}.
 */
public final class PathPattern {

    private final String source;
    private final String key;
    private final boolean exact;
    private final Pattern regex;
    private final String[] names;

    private PathPattern(String source, String key, boolean exact, Pattern regex, String[] names) {
        this.source = source;
        this.key = key;
        this.exact = exact;
        this.regex = regex;
        this.names = names;
    }

    /** Compiles a route uri. */
    public static PathPattern compile(String uri) {
        int colon = uri.indexOf(':');
        int star = uri.indexOf('*');
        if (colon < 0 && star < 0) {
            return new PathPattern(uri, uri, true, null, null);
        }
        int cut = colon >= 0 ? colon : star;
        boolean param = colon >= 0 || star != uri.length() - 1;
        String key = uri.substring(0, cut);
        if (!param) {
            return new PathPattern(uri, key, false, null, null);
        }
        // the whole path must then match the segment pattern
        List<String> names = new ArrayList<>();
        StringBuilder re = new StringBuilder();
        String[] segments = uri.split("/");
        for (int i = 0; i < segments.length; i++) {
            String seg = segments[i];
            if (i > 0) {
                re.append('/');
            }
            if (seg.startsWith(":")) {
                names.add(seg.substring(1));
                re.append("([^/]+)");
            } else if (seg.startsWith("*")) {
                names.add(seg.length() == 1 ? ":ext" : seg.substring(1));
                re.append("(.*)");
            } else if (!seg.isEmpty()) {
                re.append(Pattern.quote(seg));
            }
        }
        if (uri.endsWith("/")) {
            re.append('/');
        }
        if (names.isEmpty()) {
            // radixtree checks nothing beyond the prefix when no segment is a parameter
            return new PathPattern(uri, key, false, null, null);
        }
        return new PathPattern(uri, key, false, Pattern.compile(re.toString(), Pattern.DOTALL),
                names.toArray(new String[0]));
    }

    /** The uri as configured. */
    public String source() {
        return source;
    }

    /** The exact path, or the literal prefix for a prefix / parameter pattern. */
    public String key() {
        return key;
    }

    /** True for an exact path. */
    public boolean exact() {
        return exact;
    }

    /** True when matching needs more than the prefix (parameter segments). */
    public boolean hasParams() {
        return regex != null;
    }

    /** For a path that starts with {@link #key()}: true when the rest of the pattern matches too. */
    public boolean matchesRest(String path) {
        return regex == null || regex.matcher(path).matches();
    }

    /** The named parameters of a matching path, as (name, value) pairs; empty without parameters. */
    public List<String[]> params(String path) {
        if (regex == null) {
            return List.of();
        }
        Matcher m = regex.matcher(path);
        if (!m.matches()) {
            return List.of();
        }
        List<String[]> out = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            String v = m.group(i + 1);
            if (v != null && !names[i].startsWith(":")) {
                out.add(new String[] {names[i], v});
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return source;
    }
}
