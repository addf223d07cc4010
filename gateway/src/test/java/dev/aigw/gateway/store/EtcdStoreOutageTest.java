package dev.aigw.gateway.store;

import dev.aigw.gateway.conf.EtcdConf;
import dev.aigw.testkit.EtcdProcess;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;

import static dev.aigw.gateway.store.StoreTestSupport.await;
import static dev.aigw.gateway.store.StoreTestSupport.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** etcd goes away and comes back: the watch must resume on its own. Own etcd, since it is restarted. */
class EtcdStoreOutageTest {

    private EtcdProcess etcd;
    private Vertx vertx;
    private EtcdStore store;

    @BeforeEach
    void setUp() {
        etcd = EtcdProcess.start();
        vertx = Vertx.vertx();
        store = new EtcdStore(vertx, new EtcdConf(List.of(etcd.endpoint()), "/apisix", Duration.ofSeconds(5), null, null));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            await(store.close());
            await(vertx.close());
        } finally {
            etcd.close();
        }
    }

    @Test
    void watchResumesAfterEtcdRestart() throws Exception {
        await(store.put("/apisix/routes/1", "before"));
        long rev = await(store.load()).revision();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        store.watch(rev, q::add);
        await(store.put("/apisix/routes/2", "watched"));
        Map<String, String> view = new HashMap<>(Map.of("/apisix/routes/1", "before"));
        StoreTestSupport.foldUntil(q, view, v -> v.containsKey("/apisix/routes/2"));

        etcd.stop();
        // requests while etcd is down fail within the configured timeout instead of hanging
        Throwable t = awaitFailure(store.put("/apisix/routes/3", "lost"));
        assertInstanceOf(TimeoutException.class, t, t.toString());
        assertTrue(t.getMessage().contains("timed out after 5s"), t.getMessage());

        etcd.restart();
        // a change made after the restart reaches the watcher (as an event or inside a reset)
        long after = awaitPut("/apisix/routes/4", "after");
        List<WatchEvent> seen = StoreTestSupport.foldUntil(q, view, v -> "after".equals(v.get("/apisix/routes/4")));
        assertEquals("before", view.get("/apisix/routes/1"));
        assertEquals("watched", view.get("/apisix/routes/2"));
        assertTrue(seen.get(seen.size() - 1).revision() >= after);
        assertTrue(seen.stream().anyMatch(e -> e instanceof WatchEvent.Reset), "the broken watch is recovered by a reload: " + seen);
    }

    /** The channel may need a moment to reconnect: retry the write a bounded number of times. */
    private long awaitPut(String key, String value) throws Exception {
        Throwable last = null;
        for (int i = 0; i < 10; i++) {
            try {
                return await(store.put(key, value));
            } catch (java.util.concurrent.ExecutionException e) {
                last = e.getCause();
            }
        }
        throw new AssertionError("etcd did not accept writes after restart", last);
    }
}
