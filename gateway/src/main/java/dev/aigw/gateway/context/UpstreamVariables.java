package dev.aigw.gateway.context;

import java.util.List;

/**
 * The upstream variables, under nginx's and APISIX's names, owned by the core: every upstream — the
 * core's HTTP proxy and a plugin's (ai-proxy's LLM calls) — sets them on the request with
 * {@link RequestContext#setVar}, and {@link CoreVariables} registers them (null until set) so that
 * log formats, {@code vars} expressions and the Admin API know them whichever plugins are enabled.
 */
public final class UpstreamVariables {

    /** {@code 127.0.0.1:1980}, every tried address joined with {@code ", "} as nginx does. */
    public static final String ADDR = "upstream_addr";
    /** The upstream's status, every attempt's joined with {@code ", "}. */
    public static final String STATUS = "upstream_status";
    public static final String SCHEME = "upstream_scheme";
    public static final String HOST = "upstream_host";
    public static final String URI = "upstream_uri";
    /** Seconds with three decimals ({@link NginxTime#seconds3}). */
    public static final String RESPONSE_TIME = "upstream_response_time";
    /** Seconds with three decimals until the upstream's response head arrived. */
    public static final String HEADER_TIME = "upstream_header_time";
    /** APISIX's {@code apisix_upstream_response_time}: the same duration in whole milliseconds. */
    public static final String APISIX_RESPONSE_TIME = "apisix_upstream_response_time";

    /** Every upstream variable. */
    public static final List<String> ALL = List.of(ADDR, STATUS, SCHEME, HOST, URI, RESPONSE_TIME, HEADER_TIME,
            APISIX_RESPONSE_TIME);

    private UpstreamVariables() {
    }

    /** Registers each as null until an upstream sets it on the request. */
    static void register(VariableRegistry r) {
        for (String name : ALL) {
            r.register(name, ctx -> null);
        }
    }
}
