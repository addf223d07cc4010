package dev.aigw.gateway.context;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;

/**
 * What will be sent upstream, as plugins shape it before proxying (proxy-rewrite changes the uri,
 * method, host and headers here). Created from the client's request on first use.
 *
 * <p>{@code headers} starts as a copy of the client's headers minus hop-by-hop ones; the upstream
 * adds {@code X-Forwarded-*} and the Host header when it sends.
 */
public final class ProxyRequest {

    private HttpMethod method;
    private String uri;
    private String host;
    private final MultiMap headers;

    ProxyRequest(HttpMethod method, String uri, MultiMap headers) {
        this.method = method;
        this.uri = uri;
        this.headers = headers;
    }

    public HttpMethod method() {
        return method;
    }

    public void method(HttpMethod method) {
        this.method = method;
    }

    /** Path and query, as sent upstream. */
    public String uri() {
        return uri;
    }

    public void uri(String uri) {
        this.uri = uri;
    }

    /** Host header to send, or null to follow the upstream's {@code pass_host}. */
    public String host() {
        return host;
    }

    public void host(String host) {
        this.host = host;
    }

    /** Mutable headers to send upstream. */
    public MultiMap headers() {
        return headers;
    }
}
