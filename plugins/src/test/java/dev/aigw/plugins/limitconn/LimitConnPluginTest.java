package dev.aigw.plugins.limitconn;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.plugins.PluginPipeline;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** limit-conn's count of requests in flight, through the gateway's own pipeline. */
class LimitConnPluginTest {

    /**
     * Runs after limit-conn (lower priority) and notes, as the last chunk of each response passes,
     * how many keys limit-conn still counts: what a client's next request would meet.
     */
    private static final class Witness implements Plugin<Object> {
        final BlockingQueue<Integer> keysAtLastChunk = new LinkedBlockingQueue<>();
        private final LimitConnPlugin limitConn;

        Witness(LimitConnPlugin limitConn) {
            this.limitConn = limitConn;
        }

        @Override
        public String name() {
            return "witness";
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public String schema() {
            return "{\"type\": \"object\"}";
        }

        @Override
        public Object parseConfig(JsonObject conf) {
            return conf;
        }

        @Override
        public Buffer bodyFilter(Object conf, RequestContext ctx, Buffer chunk, boolean last) {
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
}
