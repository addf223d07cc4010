package dev.aigw.admin;

import dev.aigw.gateway.metrics.Counter;
import dev.aigw.gateway.metrics.Gauge;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.stats.TrafficStats;
import dev.aigw.gateway.store.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The web dashboard on the Admin API's port: the page under {@code /ui/} (static files from the jar,
 * read once at start, served to any client {@code allow_admin} lets in — they hold no data) and its
 * data endpoint {@code GET /apisix/admin/aigw/stats?window=<minutes>} (the admin key required, as for
 * every Admin API call). The page itself asks for the key and reads everything else from the Admin API.
 */
final class Dashboard {

    static final String UI = "/ui";
    static final String STATS = "/apisix/admin/aigw/stats";
    private static final String[] FILES = {"index.html", "app.js", "app.css", "vendor/uPlot.iife.min.js",
        "vendor/uPlot.min.css", "vendor/uPlot.LICENSE"};
    // the page loads only its own files: no inline script, no other origin
    private static final String CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            + "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final Map<String, Buffer> files;
    private final TrafficStats stats;
    private final ConfigStore store;
    private final String storeName;
    private final MetricsRegistry metrics;

    private Dashboard(Map<String, Buffer> files, TrafficStats stats, ConfigStore store, String storeName,
                      MetricsRegistry metrics) {
        this.metrics = metrics;
        this.files = files;
        this.stats = stats;
        this.store = store;
        this.storeName = storeName;
    }

    /** Reads the page's files from the class path, off the event loop. */
    static Future<Dashboard> load(Vertx vertx, TrafficStats stats, ConfigStore store, String storeName,
                                  MetricsRegistry metrics) {
        return vertx.executeBlocking(() -> {
            Map<String, Buffer> files = new HashMap<>();
            for (String f : FILES) {
                try (InputStream in = Dashboard.class.getResourceAsStream("/aigw-ui/" + f)) {
                    if (in == null) {
                        throw new IOException("dashboard file missing from the jar: " + f);
                    }
                    files.put(f, Buffer.buffer(in.readAllBytes()));
                }
            }
            return new Dashboard(Map.copyOf(files), stats, store, storeName, metrics);
        });
    }

    /** True when {@code path} is the page's. */
    static boolean isPage(String path) {
        return path.equals(UI) || path.startsWith(UI + "/");
    }

    void servePage(HttpServerRequest req) {
        HttpServerResponse resp = req.response();
        if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
            resp.setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
            return;
        }
        String path = req.path();
        if (path.equals(UI)) {
            resp.setStatusCode(301).putHeader("Location", UI + "/").end();
            return;
        }
        String name = path.substring(UI.length() + 1);
        if (name.isEmpty()) {
            name = "index.html";
        }
        Buffer body = files.get(name);
        if (body == null) {
            resp.setStatusCode(404).putHeader("Content-Type", "text/plain").end("not found");
            return;
        }
        resp.putHeader("Content-Type", type(name))
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Content-Security-Policy", CSP);
        if (req.method() == HttpMethod.HEAD) {
            resp.putHeader("Content-Length", Integer.toString(body.length())).end();
        } else {
            resp.end(body);
        }
    }

    private static String type(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "text/plain; charset=utf-8";
    }

    /** {@code GET /apisix/admin/aigw/stats}: the statistics of the window and the store's health. */
    Future<ApiResponse> stats(HttpServerRequest req) {
        if (req.method() != HttpMethod.GET) {
            return Future.succeededFuture(new ApiResponse(405, new JsonObject().put("error_msg", "only GET")));
        }
        int window = 60;
        String w = req.getParam("window");
        if (w != null) {
            try {
                window = Integer.parseInt(w);
            } catch (NumberFormatException e) {
                return Future.succeededFuture(new ApiResponse(400,
                        new JsonObject().put("error_msg", "window must be a number of minutes")));
            }
        }
        JsonObject body = stats == null ? new JsonObject().put("error_msg", "statistics are not kept") : stats.snapshot(window);
        if (stats == null) {
            return Future.succeededFuture(new ApiResponse(404, body));
        }
        // one key read tells whether the store answers (etcd down: the data plane keeps its last routes);
        // bounded as the metrics' etcd probe is, so an unreachable etcd does not hold the page for its timeout
        return store.get(store.prefix() + "/aigw_health_probe")
                .timeout(3, java.util.concurrent.TimeUnit.SECONDS)
                .map(kv -> true).otherwise(false)
                .map(ok -> new ApiResponse(200, body.put("health", new JsonObject().put("store", storeName)
                        .put("store_reachable", ok).put("kafka", kafka()))));
    }

    /** kafka-logger's batches by result and its last failure, when it runs on this node; else null. */
    private JsonObject kafka() {
        if (metrics == null || !(metrics.get(metrics.prefix() + "kafka_logger_batches") instanceof Counter c)) {
            return null;
        }
        double last = metrics.get(metrics.prefix() + "kafka_logger_last_failure_timestamp_seconds") instanceof Gauge g
                ? g.value() : 0;
        return new JsonObject().put("sent", (long) c.value("ok")).put("failed", (long) c.value("failed"))
                .put("last_failure", last > 0 ? (long) (last * 1000) : null);
    }
}
