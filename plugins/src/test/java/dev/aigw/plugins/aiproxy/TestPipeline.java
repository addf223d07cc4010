package dev.aigw.plugins.aiproxy;

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

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A tiny gateway for tests: one route with ai-proxy, phases run in order (access → beforeProxy →
 * upstream), 500 when a phase fails (413 for an oversized body), the log phase when the response
 * ends. Finished contexts are queued for assertions.
 */
final class TestPipeline implements AutoCloseable {

    final Vertx vertx;
    final int port;
    final AiProxyPlugin plugin;
    final VariableRegistry variables = new VariableRegistry();
    final BlockingQueue<RequestContext> finished = new LinkedBlockingQueue<>();
    private final HttpServer server;
    private final PluginBinding<?> binding;

    TestPipeline(Vertx vertx, AiProxyPlugin plugin, JsonObject conf) throws Exception {
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
        PluginRegistry registry = PluginRegistry.of(List.<Plugin<?>>of(plugin), null);
        this.binding = registry.bind(AiProxyPlugin.NAME, conf);
        Route route = new Route("1", null, new JsonObject(), List.of(binding), null, 1);
        this.port = Ports.free();
        this.server = vertx.createHttpServer().requestHandler(req -> {
            req.pause();
            RequestContext ctx = new RequestContext(vertx, req, variables, 1 << 20);
            ctx.route(route, List.of(binding));
            req.response().endHandler(v -> {
                ctx.markFinished(req.response().getStatusCode());
                binding.log(ctx);
                finished.add(ctx);
            });
            // as the gateway does: the response's single close handler fans out to the request's listeners
            req.response().closeHandler(v -> {
                if (!req.response().ended()) {
                    ctx.fireClientClosed();
                }
            });
            binding.access(ctx).onComplete(ar -> {
                if (ar.failed()) {
                    int status = ar.cause() instanceof RequestContext.BodyTooLargeException ? 413 : 500;
                    ctx.exitError(status, "phase failed");
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
        binding.release();
    }
}
