package dev.aigw.plugins.limitconn;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.plugins.PluginPipeline;
import dev.aigw.plugins.ProbePlugin;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** limit-conn's count of requests in flight, through the gateway's own pipeline. */
class LimitConnPluginTest {

    private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);

    /**
     * Runs after limit-conn (lower priority) and notes, as the last chunk of each response passes,
     * how many keys limit-conn still counts: what a client's next request would meet.
     */
    private static final class Witness extends ProbePlugin {
        final BlockingQueue<Integer> keysAtLastChunk = new LinkedBlockingQueue<>();
        private final LimitConnPlugin limitConn;

        Witness(LimitConnPlugin limitConn) {
            super("witness", 1);
            this.limitConn = limitConn;
        }

        @Override
        public Buffer bodyFilter(JsonObject conf, RequestContext ctx, Buffer chunk, boolean last) {
            if (last) {
                keysAtLastChunk.add(limitConn.keys());
            }
            return chunk;
        }
    }

    @Test
    void theCountIsGivenBackBeforeTheLastChunkLeavesSoTheClientsNextRequestFindsRoom() throws Exception {
        LimitConnPlugin limitConn = new LimitConnPlugin();
        Witness witness = new Witness(limitConn);
        try (PluginPipeline gw = new PluginPipeline(limitConn, witness)) {
            gw.route("1", new JsonObject().put("uri", "/*").put("plugins", new JsonObject()
                    .put("limit-conn", new JsonObject().put("conn", 1).put("burst", 0)
                            .put("default_conn_delay", 0.1).put("key", "remote_addr").put("rejected_msg", "busy"))
                    .put("witness", new JsonObject())), ctx -> {
                        ctx.response().setChunked(true).putHeader("content-type", "text/plain");
                        ctx.write(Buffer.buffer("one "));
                        ctx.end(Buffer.buffer("answer"));
                    });
            for (int i = 0; i < 3; i++) {
                var r = gw.get("/chat");
                assertEquals(200, r.statusCode(), "request " + i + " back to back: " + r.body());
                assertEquals("one answer", r.body());
                assertEquals(0, witness.keysAtLastChunk.poll(5, TimeUnit.SECONDS),
                        "the request no longer counts when its last chunk is written");
                gw.nextFinished();
            }
            assertEquals(0, limitConn.keys(), "the log phase gives nothing back twice");
        }
    }

    /** An upstream that keeps each request in flight until the test ends it. */
    private static final class Holding implements dev.aigw.gateway.upstream.UpstreamHandler {
        final BlockingQueue<Runnable> enders = new LinkedBlockingQueue<>();

        @Override
        public void proxy(RequestContext ctx) {
            io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
            enders.add(() -> context.runOnContext(v -> {
                ctx.sendHead(200);
                ctx.end(Buffer.buffer("ok"));
            }));
        }

        void endOne() throws InterruptedException {
            Runnable r = enders.poll(5, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no request reached the upstream");
            }
            r.run();
        }
    }

    @Test
    void rulesCountOneRequestOnEachKeyTheyResolveAndTheFirstRefusalAnswers() throws Exception {
        LimitConnPlugin limitConn = new LimitConnPlugin();
        Holding upstream = new Holding();
        try (PluginPipeline gw = new PluginPipeline(limitConn)) {
            gw.route("1", new JsonObject().put("uri", "/*").put("plugins", new JsonObject().put("limit-conn",
                    new JsonObject().put("default_conn_delay", 0.1).put("rejected_msg", "busy")
                            .put("rules", new io.vertx.core.json.JsonArray()
                                    .add(new JsonObject().put("conn", 1).put("burst", 0).put("key", "user-$http_x_user"))
                                    .add(new JsonObject().put("conn", "$http_x_team_conn").put("burst", 0)
                                            .put("key", "team-$http_x_team"))))), upstream);
            var http = gw.http();
            var a = http.sendAsync(gw.request("GET", "/a", null, "X-User", "u1", "X-Team", "t", "X-Team-Conn", "2").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            var c = http.sendAsync(gw.request("GET", "/c", null, "X-User", "u2", "X-Team", "t", "X-Team-Conn", "2").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            // both counted on their user and on the team: three keys
            assertTrue(MockLlm.await(() -> limitConn.keys() == 3, FIVE_SECONDS), "keys in flight: " + limitConn.keys());

            var sameUser = gw.get("/b", "X-User", "u1", "X-Team", "other", "X-Team-Conn", "2");
            assertEquals(503, sameUser.statusCode(), "u1 already has one in flight: " + sameUser.body());
            assertEquals("busy", new JsonObject(sameUser.body()).getString("error_msg"));
            var thirdOfTeam = gw.get("/d", "X-User", "u3", "X-Team", "t", "X-Team-Conn", "2");
            assertEquals(503, thirdOfTeam.statusCode(), "team t already has two in flight");
            gw.nextFinished();
            gw.nextFinished();
            assertEquals(3, limitConn.keys(), "the refused requests gave back what they had counted (u3's)");

            assertEquals(500, gw.get("/f", "X-Team-Conn", "2").statusCode(), "no rule applies: 500, as APISIX");
            assertEquals(500, gw.get("/g", "X-Team", "t2", "X-Team-Conn", "two").statusCode(),
                    "the one rule with a key has no valid conn: none applies");

            upstream.endOne();
            upstream.endOne();
            assertEquals(200, a.get(5, TimeUnit.SECONDS).statusCode());
            assertEquals(200, c.get(5, TimeUnit.SECONDS).statusCode());
            assertTrue(MockLlm.await(() -> limitConn.keys() == 0, FIVE_SECONDS),
                    "every count given back: " + limitConn.keys());

            var noTeam = http.sendAsync(gw.request("GET", "/e", null, "X-User", "u4").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(MockLlm.await(() -> limitConn.keys() == 1, FIVE_SECONDS),
                    "only the user rule applies: one key, " + limitConn.keys());
            upstream.endOne();
            assertEquals(200, noTeam.get(5, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void aRuleWithoutItsKeyIsRefusedAtConfigurationTime() throws Exception {
        LimitConnPlugin limitConn = new LimitConnPlugin();
        try (PluginPipeline gw = new PluginPipeline(limitConn)) {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> gw.route("1", "/*",
                    "limit-conn", new JsonObject().put("default_conn_delay", 0.1).put("rules",
                            new io.vertx.core.json.JsonArray().add(new JsonObject().put("conn", 1).put("burst", 0)))));
            assertTrue(e.getMessage().contains("key"), e.getMessage());
        }
    }
}
