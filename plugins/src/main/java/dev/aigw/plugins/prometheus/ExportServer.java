package dev.aigw.plugins.prometheus;

import dev.aigw.gateway.metrics.MetricsRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;

/**
 * APISIX's export server: its own listener ({@code export_addr}) answering {@code GET export_uri}
 * with the registry in Prometheus text format; any other path is 404. Rendering runs on a worker
 * thread, never on the event loop.
 */
final class ExportServer {

    private static final Logger LOG = LoggerFactory.getLogger(ExportServer.class);

    private final Vertx vertx;
    private final MetricsRegistry metrics;
    private final String uri;
    private HttpServer server;

    ExportServer(Vertx vertx, MetricsRegistry metrics, String uri) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.uri = uri;
    }

    Future<Void> listen(String ip, int port) {
        return vertx.createHttpServer(new HttpServerOptions().setHost(ip).setPort(port).setReuseAddress(true))
                .requestHandler(req -> {
                    HttpServerResponse resp = req.response();
                    String path = req.path();
                    if (!uri.equals(path)) {
                        resp.setStatusCode(404).putHeader("Content-Type", "application/json")
                                .end(new JsonObject().put("error_msg", "404 Route Not Found").encode() + "\n");
                        return;
                    }
                    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                        resp.setStatusCode(405).putHeader("Allow", "GET").end();
                        return;
                    }
                    render(vertx, metrics).onComplete(ar -> {
                        if (ar.succeeded()) {
                            resp.putHeader("Content-Type", metrics.contentType()).end(ar.result());
                        } else {
                            LOG.error("prometheus: failed to render metrics", ar.cause());
                            resp.setStatusCode(500).putHeader("Content-Type", "application/json")
                                    .end(new JsonObject().put("message", "An unexpected error occurred").encode());
                        }
                    });
                })
                .listen()
                .map(s -> {
                    server = s;
                    return null;
                });
    }

    /** Runs the registry's before-scrape work, then renders the text on a worker. */
    static Future<Buffer> render(Vertx vertx, MetricsRegistry metrics) {
        return metrics.refresh().compose(v -> vertx.executeBlocking(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
            metrics.scrape(out);
            return Buffer.buffer(out.toByteArray());
        }, false));
    }

    Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
