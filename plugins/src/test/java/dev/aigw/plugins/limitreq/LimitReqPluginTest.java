package dev.aigw.plugins.limitreq;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** resty.limit.req's leaky bucket, step by step on a fake clock. */
class LimitReqPluginTest {

    @Test
    void bucketDelaysWithinTheBurstAndRefusesBeyond() throws Exception {
        LimitReqPlugin p = new LimitReqPlugin();
        var conf = p.parseConfig(new JsonObject().put("rate", 2).put("burst", 1).put("key", "remote_addr"));
        assertEquals(0, p.incoming("k", conf, 1_000), "first request: empty bucket, no delay");
        assertEquals(500, p.incoming("k", conf, 1_000), "second at once: one in the bucket, waits 1/rate");
        assertEquals(-1, p.incoming("k", conf, 1_000), "third at once: past the burst");
        assertEquals(500, p.incoming("k", conf, 1_500), "half a second drained one request");
        assertEquals(0, p.incoming("other", conf, 1_500), "keys are independent");
        assertEquals(0, p.incoming("k", conf, 10_000), "a drained bucket starts empty");
    }
}
