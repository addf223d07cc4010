package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.route.Route;
import dev.aigw.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A tiny gateway for tests: one Vert.x server, one route per binding (path {@code /r<n>/...}),
 * phases run in order (access → beforeProxy → upstream), the log phase when the response ends,
 * client close fanned out as the gateway does. Finished contexts are queued for assertions.
 */
final class MultiPipeline implements AutoCloseable {

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final Vertx vertx;
    final int port;
    final AiProxyMultiPlugin plugin;
    final VariableRegistry variables = new VariableRegistry();
    final BlockingQueue<RequestContext> finished = new LinkedBlockingQueue<>();
    final PluginRegistry registry;
    private final HttpServer server;
    private final List<PluginBinding<?>> bindings = new ArrayList<>();

    /** One route per configuration: {@code /r0/...} uses the first, {@code /r1/...} the second … */
    MultiPipeline(Vertx vertx, AiProxyMultiPlugin plugin, JsonObject... confs) throws Exception {
        this.vertx = vertx;
        this.plugin = plugin;
        plugin.init(new PluginEnv() {
            @Override
            public Vertx vertx() {
                return vertx;
            }

            @Override
            public JsonObject config() {
                return new JsonObject();
            }

            @Override
            public VariableRegistry variables() {
                return variables;
            }

            @Override
            public Path prefix() {
                return Path.of(".");
            }

            @Override
            public JsonObject pluginMetadata(String pluginName) {
                return null;
            }
        });
        registry = PluginRegistry.of(List.<Plugin<?>>of(plugin), null);
        for (JsonObject c : confs) {
            bindings.add(registry.bind(AiProxyMultiPlugin.NAME, c));
        }
        this.port = Ports.free();
        this.server = vertx.createHttpServer().requestHandler(req -> {
            req.pause();
            int n = req.path().startsWith("/r1/") ? 1 : 0;
            PluginBinding<?> binding = bindings.get(n);
            RequestContext ctx = new RequestContext(vertx, req, variables, 1 << 20);
            Route route = new Route(String.valueOf(n), null, new JsonObject(), List.of(binding), null, 1);
            ctx.route(route, List.of(binding));
            req.response().endHandler(v -> {
                ctx.markFinished(req.response().getStatusCode());
                binding.log(ctx);
                finished.add(ctx);
            });
            req.response().closeHandler(v -> {
                if (!req.response().ended()) {
                    ctx.fireClientClosed();
                }
            });
            binding.access(ctx).onComplete(ar -> {
                if (ar.failed()) {
                    ctx.exitError(500, "phase failed");
                    return;
                }
                if (ctx.exited()) {
                    return;
                }
                try {
                    binding.beforeProxy(ctx);
                    ctx.upstream().proxy(ctx);
                } catch (RuntimeException e) {
                    ctx.exitError(500, "phase failed: " + e);
                }
            });
        });
        server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Releases the configuration of route {@code n} (as a route rebuild that drops it would). */
    void release(int n) {
        bindings.get(n).release();
    }

    HttpResponse<String> chat(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The next finished request's context (waits up to 10 s). */
    RequestContext nextFinished() throws InterruptedException {
        RequestContext c = finished.poll(10, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no request finished within 10 s");
        }
        return c;
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (PluginBinding<?> b : bindings) {
            b.release();
        }
        plugin.close();
    }
}
