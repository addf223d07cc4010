package dev.aigw.plugins;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.testkit.Ports;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Traffic on several event loops ({@code nginx_config.worker_processes}): connections are spread over
 * them, a request stays on its loop from the first phase to the log phase, and each upstream
 * connection serves the requests of one loop only (a client pool per loop, as nginx keeps one per
 * worker: no request's exchange hops to another thread).
 */
class EventLoopsTest {

    /** Sends the event loop of the access phase upstream and checks the log phase runs on it too. */
    static final class LoopProbe extends ProbePlugin {
        private static final Object THREAD = new Object();
        final Set<String> accessThreads = ConcurrentHashMap.newKeySet();
        final List<String> mismatches = java.util.Collections.synchronizedList(new ArrayList<>());

        LoopProbe() {
            super("loop-probe", 1);
        }

        @Override
        public Future<Void> access(JsonObject conf, RequestContext ctx) {
            String t = Thread.currentThread().getName();
            accessThreads.add(t);
            ctx.put(THREAD, t);
            ctx.proxyRequest().headers().set("x-loop", t);
            return Future.succeededFuture();
        }

        @Override
        public void log(JsonObject conf, RequestContext ctx) {
            String t = Thread.currentThread().getName();
            if (!t.equals(ctx.get(THREAD))) {
                mismatches.add(ctx.get(THREAD) + " -> " + t);
            }
        }
    }

    @Test
    void requestsSpreadOverTheLoopsAndEachKeepsToItsOwn() throws Exception {
        Vertx backendVertx = Vertx.vertx();
        // upstream connection (client port) -> the gateway loops whose requests it carried
        Map<Integer, Set<String>> loopsPerConnection = new ConcurrentHashMap<>();
        int backendPort = Ports.free();
        backendVertx.createHttpServer().requestHandler(req -> {
            loopsPerConnection.computeIfAbsent(req.remoteAddress().port(), k -> ConcurrentHashMap.newKeySet())
                    .add(req.getHeader("x-loop"));
            req.response().end("ok");
        }).listen(backendPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        LoopProbe probe = new LoopProbe();
        try (PluginPipeline gw = new PluginPipeline(2, probe)) {
            gw.route("r", new JsonObject().put("uri", "/*").put("plugins", new JsonObject().put("loop-probe", new JsonObject()))
                    .put("upstream", new JsonObject().put("nodes", new JsonObject().put("127.0.0.1:" + backendPort, 1))), null);
            for (int round = 0; round < 5; round++) {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    calls.add(gw.http().sendAsync(gw.request("GET", "/r?i=" + i, null).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> c : calls) {
                    HttpResponse<String> r = c.get(20, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode());
                    assertEquals("ok", r.body());
                }
            }
            assertEquals(2, probe.accessThreads.size(), "client connections on both event loops: " + probe.accessThreads);
            for (int i = 0; i < 80; i++) { // every log phase has run
                gw.nextFinished();
            }
            assertEquals(List.of(), probe.mismatches, "a request's log phase ran on another event loop");
            assertTrue(loopsPerConnection.size() >= 2, "upstream connections: " + loopsPerConnection);
            loopsPerConnection.forEach((port, loops) ->
                    assertEquals(1, loops.size(), "upstream connection :" + port + " served several loops: " + loops));
        } finally {
            backendVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
