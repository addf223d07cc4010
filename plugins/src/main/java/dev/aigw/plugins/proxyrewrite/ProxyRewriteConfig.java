package dev.aigw.plugins.proxyrewrite;

import io.vertx.core.http.HttpMethod;

import java.util.List;

/**
 * A parsed {@code proxy-rewrite} configuration: templates and regexes compiled once per route build.
 *
 * @param uri                     new upstream uri (template), or null
 * @param regexUri                {@code regex_uri} pairs, tried in order until one matches; empty when unset
 * @param method                  new method, or null
 * @param host                    new Host for the upstream (wins over {@code pass_host}), or null
 * @param add                     headers appended ({@code headers.add})
 * @param set                     headers replaced ({@code headers.set}, or the older flat form)
 * @param remove                  header names removed ({@code headers.remove})
 * @param useRealRequestUriUnsafe start from the raw request uri instead of the normalized one
 */
public record ProxyRewriteConfig(Template uri, List<RegexRule> regexUri, HttpMethod method, String host,
                                 List<HeaderOp> add, List<HeaderOp> set, List<String> remove,
                                 boolean useRealRequestUriUnsafe) {

    /** One header operation; {@code values} has several entries for an array value. */
    public record HeaderOp(String name, List<Template> values, boolean array) {
    }

    public ProxyRewriteConfig {
        regexUri = List.copyOf(regexUri);
        add = List.copyOf(add);
        set = List.copyOf(set);
        remove = List.copyOf(remove);
    }

    boolean rewritesUri() {
        return uri != null || !regexUri.isEmpty() || useRealRequestUriUnsafe;
    }

    boolean rewritesHeaders() {
        return !add.isEmpty() || !set.isEmpty() || !remove.isEmpty();
    }
}
