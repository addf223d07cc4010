package dev.aigw.plugins.aiproxymulti;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The active health check of one instance identity: probes on a Vert.x timer, off the request path
 * and never blocking, one probe at a time, and feeds {@link InstanceHealth}. Started when the first
 * route configuration using the identity takes a request, stopped when the last one is released.
 */
final class Prober {

    private static final Logger LOG = LoggerFactory.getLogger(Prober.class);

    private final Vertx vertx;
    private final MultiInstance inst;
    private final ActiveCheck check;
    private final InstanceHealth health;
    private HttpClient http;
    private NetClient net;
    private long timer = -1;
    private boolean stopped;

    Prober(Vertx vertx, MultiInstance inst, InstanceHealth health) {
        this.vertx = vertx;
        this.inst = inst;
        this.check = inst.active();
        this.health = health;
    }

    synchronized void start() {
        if ("tcp".equals(check.type())) {
            net = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) check.timeoutMs()));
        } else {
            http = vertx.createHttpClient(new HttpClientOptions()
                    .setConnectTimeout((int) check.timeoutMs())
                    .setTrustAll(!check.verifyCertificate())
                    .setVerifyHost(check.verifyCertificate()));
        }
        schedule(1); // the first probe right away: a dead instance is found before its first request
    }

    synchronized void stop() {
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
        if (http != null) {
            http.close();
        }
        if (net != null) {
            net.close();
        }
    }

    private synchronized void schedule(long delayMs) {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, delayMs), id -> probe());
        }
    }

    private void probe() {
        synchronized (this) {
            timer = -1;
            if (stopped) {
                return;
            }
        }
        Future<InstanceHealth.ProbeResult> f;
        try {
            f = net != null ? probeTcp() : probeHttp();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.recover(err -> Future.succeededFuture(classify(err))).onComplete(ar -> {
            synchronized (this) {
                if (stopped) {
                    return;
                }
            }
            InstanceHealth.ProbeResult r = ar.succeeded() ? ar.result() : InstanceHealth.ProbeResult.TCP_FAILURE;
            LOG.debug("ai-proxy-multi: probe of {}: {}", inst.name(), r);
            health.recordProbe(r);
            schedule(health.probeIntervalMs());
        });
    }

    private InstanceHealth.ProbeResult classify(Throwable err) {
        for (Throwable c = err; c != null; c = c.getCause()) {
            if (c.getClass().getSimpleName().contains("Timeout")) {
                return InstanceHealth.ProbeResult.TIMEOUT;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return InstanceHealth.ProbeResult.TCP_FAILURE;
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

    private Future<InstanceHealth.ProbeResult> probeTcp() {
        Target t = target();
        return net.connect(t.port(), t.host()).map(so -> {
            so.close();
            return InstanceHealth.ProbeResult.SUCCESS;
        });
    }

    private Future<InstanceHealth.ProbeResult> probeHttp() {
        AiInstance ai = inst.instance();
        Target t = target();
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
        if (check.healthCheckModel() != null) {
            // a one-token chat completion through the instance's own path and auth
            Endpoint ep = ai.endpoint();
            path = ep != null && ep.path() != null ? ep.path()
                    : ai.provider().path(AiProtocol.CHAT, ai.providerConf(), check.healthCheckModel());
            query = ep == null ? null : ep.rawQuery();
            JsonObject chat = new JsonObject()
                    .put("model", check.healthCheckModel())
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
            return Future.succeededFuture(InstanceHealth.ProbeResult.HTTP_FAILURE);
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
                .compose(resp -> resp.body().map(b -> {
                    int st = resp.statusCode();
                    if (check.healthyStatuses().contains(st)) {
                        return InstanceHealth.ProbeResult.SUCCESS;
                    }
                    if (check.unhealthyStatuses().contains(st)) {
                        return InstanceHealth.ProbeResult.HTTP_FAILURE;
                    }
                    return InstanceHealth.ProbeResult.IGNORED;
                }));
    }
}
