package dev.aigw.gateway.store;

import dev.aigw.gateway.conf.EtcdConf;
import dev.aigw.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.aigw.gateway.store.StoreTestSupport.await;
import static dev.aigw.gateway.store.StoreTestSupport.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EtcdStore against a real etcd; each test uses its own key prefix. */
class EtcdStoreTest {

    private static EtcdProcess etcd;
    private static Client admin;

    private Vertx vertx;
    private EtcdStore store;
    private String prefix;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
        admin = Client.builder().endpoints(etcd.endpoint()).build();
    }

    @AfterAll
    static void stopEtcd() {
        if (admin != null) {
            admin.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @BeforeEach
    void setUp(TestInfo info) {
        vertx = Vertx.vertx();
        prefix = "/" + info.getTestMethod().orElseThrow().getName();
        store = new EtcdStore(vertx, new EtcdConf(List.of(etcd.endpoint()), prefix, Duration.ofSeconds(5), null, null));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(store.close());
        await(vertx.close());
    }

    @Test
    void crudAndList() throws Exception {
        String r1 = prefix + "/routes/1";
        long rev1 = await(store.put(r1, "{\"uri\":\"/a\"}"));
        long rev2 = await(store.put(prefix + "/routes/2", "{\"uri\":\"/b\"}"));
        await(store.put(prefix + "/upstreams/1", "{}"));
        await(store.put(prefix + "x/routes/1", "{}")); // a sibling prefix, not ours
        assertTrue(rev2 > rev1);

        assertEquals(new KeyValue(r1, "{\"uri\":\"/a\"}", rev1, rev1), await(store.get(r1)));
        assertNull(await(store.get(prefix + "/routes/9")));

        long rev3 = await(store.put(r1, "{\"uri\":\"/a2\"}"));
        assertEquals(new KeyValue(r1, "{\"uri\":\"/a2\"}", rev1, rev3), await(store.get(r1)));

        assertEquals(List.of(r1, prefix + "/routes/2"),
                await(store.list(prefix + "/routes/")).stream().map(KeyValue::key).toList());

        StoreSnapshot snap = await(store.load());
        assertEquals(List.of(r1, prefix + "/routes/2", prefix + "/upstreams/1"), List.copyOf(snap.entries().keySet()));
        assertTrue(snap.revision() >= rev3);

        assertTrue(await(store.delete(r1)));
        assertFalse(await(store.delete(r1)));
        assertNull(await(store.get(r1)));
    }

    @Test
    void watchDeliversChangesInOrder() throws Exception {
        long start = await(store.load()).revision();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        store.watch(start, q::add);
        long p1 = await(store.put(prefix + "/routes/1", "a"));
        long p2 = await(store.put(prefix + "/routes/2", "b"));
        await(store.delete(prefix + "/routes/1"));
        await(store.put("/elsewhere/routes/1", "not ours"));
        await(store.put(prefix + "/routes/2", "b2"));

        WatchEvent.Put e1 = assertInstanceOf(WatchEvent.Put.class, next(q));
        assertEquals(new KeyValue(prefix + "/routes/1", "a", p1, p1), e1.kv());
        assertEquals(p1, e1.revision());
        WatchEvent.Put e2 = assertInstanceOf(WatchEvent.Put.class, next(q));
        assertEquals(p2, e2.revision());
        WatchEvent.Delete e3 = assertInstanceOf(WatchEvent.Delete.class, next(q));
        assertEquals(prefix + "/routes/1", e3.key());
        WatchEvent.Put e4 = assertInstanceOf(WatchEvent.Put.class, next(q));
        assertEquals("b2", e4.kv().value());
        assertTrue(e2.revision() < e3.revision() && e3.revision() < e4.revision());
        assertNull(q.poll(200, TimeUnit.MILLISECONDS), "keys outside the prefix are not watched");
    }

    @Test
    void watchFromCompactedRevisionGetsResetThenFollows() throws Exception {
        long before = await(store.put(prefix + "/routes/1", "old"));
        await(store.put(prefix + "/routes/1", "new"));
        long last = await(store.put(prefix + "/routes/2", "b"));
        admin.getKVClient().compact(last).get(10, TimeUnit.SECONDS);

        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        store.watch(before - 1, q::add);
        WatchEvent.Reset reset = assertInstanceOf(WatchEvent.Reset.class, next(q));
        assertTrue(reset.revision() >= last);
        assertEquals(Map.of(prefix + "/routes/1", "new", prefix + "/routes/2", "b"), StoreTestSupport.values(reset.snapshot()));

        // after the reset the watch continues from the reloaded revision
        long p = await(store.put(prefix + "/routes/3", "c"));
        WatchEvent.Put put = assertInstanceOf(WatchEvent.Put.class, next(q));
        assertEquals(p, put.revision());
        assertEquals(prefix + "/routes/3", put.kv().key());
    }

    @Test
    void changesWrittenByAnotherClientAreSeen() throws Exception {
        long start = await(store.load()).revision();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        store.watch(start, q::add);
        admin.getKVClient().put(ByteSequence.from(prefix + "/routes/7", StandardCharsets.UTF_8),
                ByteSequence.from("{\"id\":\"7\"}", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        Map<String, String> view = new HashMap<>();
        StoreTestSupport.foldUntil(q, view, v -> v.containsKey(prefix + "/routes/7"));
        assertEquals("{\"id\":\"7\"}", view.get(prefix + "/routes/7"));
    }
}
