package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.upstream.health.ActiveCheck;
import dev.aigw.gateway.upstream.health.ProbeCall;
import dev.aigw.gateway.upstream.health.ProbeResult;
import dev.aigw.plugins.aiproxy.AiInstance;
import dev.aigw.plugins.aiproxy.Endpoint;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One active probe of an ai-proxy-multi instance, run by the core's
 * {@link dev.aigw.gateway.upstream.health.Prober}: an HTTP request to {@code http_path} on the
 * instance's host with its auth, or — with {@code health_check_model} (our extension) — a one-token chat
 * completion with that model through the instance's provider, path and auth, so that a probe checks
 * what a request would use; or a TCP connect for {@code type: tcp}. Owns its client.
 */
final class AiProbe implements ProbeCall {

    private final Vertx vertx;
    private final MultiInstance inst;
    private final ActiveCheck check;
    private final HttpClient http;
    private final NetClient net;

    AiProbe(Vertx vertx, MultiInstance inst) {
        this.vertx = vertx;
        this.inst = inst;
        this.check = inst.active();
        if ("tcp".equals(check.type())) {
            net = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) check.timeoutMs()));
            http = null;
        } else {
            http = vertx.createHttpClient(new HttpClientOptions()
                    .setConnectTimeout((int) check.timeoutMs())
                    .setTrustAll(!check.verifyCertificate())
                    .setVerifyHost(check.verifyCertificate()));
            net = null;
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (net != null) {
            net.close();
        }
    }

    @Override
    public Future<ProbeResult> probe() {
        Target t = target();
        if (net != null) {
            return ProbeCall.tcp(net, t.host(), t.port()).probe();
        }
        return probeHttp(t);
    }

    private Target target() {
        AiInstance ai = inst.instance();
        Endpoint ep = ai.endpoint();
        boolean ssl = check.type() != null ? "https".equals(check.type()) : ep == null || ep.ssl();
        String host = ep != null ? ep.host() : ai.provider().host(ai.providerConf());
        int port = check.port() > 0 ? check.port() : ep != null ? ep.port() : 443;
        return new Target(ssl, host, port);
    }

    private record Target(boolean ssl, String host, int port) {
    }

    private Future<ProbeResult> probeHttp(Target t) {
        AiInstance ai = inst.instance();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (List<String> h : check.reqHeaders()) {
            headers.add(h.get(0), h.get(1));
        }
        for (Map.Entry<String, String> h : ai.authHeaders().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
        if (check.host() != null) {
            headers.set("Host", check.host());
        }
        String path;
        String query = null;
        HttpMethod method;
        Buffer body;
        if (inst.probeModel() != null) {
            // a one-token chat completion through the instance's own path and auth
            Endpoint ep = ai.endpoint();
            path = ep != null && ep.path() != null ? ep.path()
                    : ai.provider().path(AiProtocol.CHAT, ai.providerConf(), inst.probeModel());
            query = ep == null ? null : ep.rawQuery();
            JsonObject chat = new JsonObject()
                    .put("model", inst.probeModel())
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "ping")))
                    .put("max_tokens", 1);
            ai.provider().rewriteBody(AiProtocol.CHAT, chat);
            method = HttpMethod.POST;
            body = chat.toBuffer();
            headers.set("Content-Type", "application/json");
        } else {
            path = check.httpPath();
            method = HttpMethod.valueOf(check.httpMethod());
            body = check.httpReqBody().isEmpty() ? null : Buffer.buffer(check.httpReqBody());
        }
        if (path == null) {
            return Future.succeededFuture(ProbeResult.HTTP_FAILURE);
        }
        StringBuilder uri = new StringBuilder(path);
        int q = path.indexOf('?');
        char sep = q >= 0 ? '&' : '?';
        if (query != null) {
            uri.append(sep).append(query);
            sep = '&';
        }
        for (Map.Entry<String, String> e : ai.authQuery().entrySet()) {
            uri.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        RequestOptions ro = new RequestOptions().setMethod(method).setHost(t.host()).setPort(t.port())
                .setSsl(t.ssl()).setURI(uri.toString()).setHeaders(headers)
                .setConnectTimeout(check.timeoutMs()).setIdleTimeout(check.timeoutMs());
        Future<String> token = ai.gcp() == null ? Future.succeededFuture(null)
                : ai.gcp().token(vertx, http, check.timeoutMs());
        return token.compose(tok -> {
            if (tok != null) {
                ro.getHeaders().set("Authorization", "Bearer " + tok);
            }
            return http.request(ro);
        }).compose(req -> body == null ? req.send() : req.send(body))
                .compose(resp -> resp.body().map(b -> check.classify(resp.statusCode())));
    }
}
