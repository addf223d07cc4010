package dev.aigw.gateway.upstream.health;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;

import java.util.List;

/**
 * One active probe of one target, sent without blocking; the {@link Prober} schedules it and counts
 * what it found. Plain upstreams use {@link #http} or {@link #tcp}; ai-proxy-multi supplies its own
 * (the provider's path and auth).
 */
public interface ProbeCall {

    /** Sends one probe; the future's value is what the probe found (a failed future: classified by the prober). */
    Future<ProbeResult> probe();

    /** Frees what the call holds (its own clients); called once when the prober stops. */
    default void close() {
    }

    /**
     * An HTTP(S) probe as lua-resty-healthcheck sends it: {@code http_method http_path} with
     * {@code req_headers}, {@code http_req_body}, and {@code Host: hostHeader}; the status decides.
     */
    static ProbeCall http(HttpClient client, ActiveCheck check, String host, int port, boolean ssl,
                          String hostHeader) {
        HttpMethod method = HttpMethod.valueOf(check.httpMethod());
        Buffer body = check.httpReqBody().isEmpty() ? null : Buffer.buffer(check.httpReqBody());
        return () -> {
            MultiMap headers = MultiMap.caseInsensitiveMultiMap();
            for (List<String> h : check.reqHeaders()) {
                headers.add(h.get(0), h.get(1));
            }
            if (hostHeader != null) {
                headers.set("Host", hostHeader);
            }
            RequestOptions ro = new RequestOptions().setMethod(method).setHost(host).setPort(port).setSsl(ssl)
                    .setURI(check.httpPath()).setHeaders(headers).setFollowRedirects(false)
                    .setConnectTimeout(check.timeoutMs()).setIdleTimeout(check.timeoutMs());
            return client.request(ro)
                    .compose(req -> body == null ? req.send() : req.send(body.copy()))
                    // the body is read (and dropped) so that the connection can be reused
                    .compose(resp -> resp.body().map(b -> check.classify(resp.statusCode())));
        };
    }

    /** A TCP probe: a connection that opens is a success. */
    static ProbeCall tcp(NetClient client, String host, int port) {
        return () -> client.connect(port, host).map(so -> {
            so.close();
            return ProbeResult.SUCCESS;
        });
    }
}
