package dev.aigw.gateway.store;

import dev.aigw.gateway.conf.EtcdConf;
import dev.aigw.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.aigw.gateway.store.StoreTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigWatcherTest {

    @TempDir
    Path prefix;

    private Vertx vertx;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        await(vertx.close());
    }

    private static StoreUpdate poll(BlockingQueue<StoreUpdate> q) throws InterruptedException {
        StoreUpdate s = q.poll(StoreTestSupport.WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(s, "no update within " + StoreTestSupport.WAIT_SECONDS + "s");
        return s;
    }

    /** What a reader applying the updates in order holds. */
    private static final class Folded {
        final Map<String, KeyValue> entries = new TreeMap<>();
        long revision;

        StoreUpdate apply(StoreUpdate u) {
            // a key put and deleted within one batch arrives as deleted only
            u.deleted().forEach(entries::remove);
            entries.putAll(u.changed());
            revision = u.revision();
            return u;
        }

        Map<String, String> values() {
            Map<String, String> out = new TreeMap<>();
            entries.forEach((k, v) -> out.put(k, v.value()));
            return out;
        }
    }

    private static KeyValue kv(String key, String value, long rev) {
        return new KeyValue(key, value, rev, rev);
    }

    @Test
    void initialLoadIsDeliveredBeforeStartCompletes() throws Exception {
        LocalStore store = new LocalStore(vertx, prefix, "/apisix");
        try {
            await(store.put("/apisix/routes/1", "a"));
            List<StoreUpdate> seen = new CopyOnWriteArrayList<>();
            ConfigWatcher w = await(ConfigWatcher.start(store, seen::add));
            assertEquals(1, seen.size());
            assertEquals(Map.of("/apisix/routes/1", kv("/apisix/routes/1", "a", 1)), seen.get(0).changed());
            assertTrue(seen.get(0).deleted().isEmpty());
            assertEquals(1, seen.get(0).revision());
            assertEquals(1, w.revision());
            w.close();
        } finally {
            await(store.close());
        }
    }

    @Test
    void followsALocalStore() throws Exception {
        LocalStore store = new LocalStore(vertx, prefix, "/apisix");
        try {
            BlockingQueue<StoreUpdate> q = new LinkedBlockingQueue<>();
            ConfigWatcher w = await(ConfigWatcher.start(store, q::add));
            Folded f = new Folded();
            assertTrue(f.apply(poll(q)).isEmpty());
            for (int i = 0; i < 20; i++) {
                store.put("/apisix/routes/" + i, "v" + i);
            }
            assertTrue(await(store.delete("/apisix/routes/0")));
            long last = await(store.load()).revision();
            do {
                f.apply(poll(q));
            } while (f.revision < last);
            assertEquals(await(store.load()).entries(), f.entries);
            assertEquals(19, f.entries.size());
            w.close();
            await(store.put("/apisix/routes/99", "x"));
            assertNull(q.poll(200, TimeUnit.MILLISECONDS), "closed: no more calls");
        } finally {
            await(store.close());
        }
    }

    @Test
    void eventsArrivingTogetherAreCoalescedAndResetsApplied() throws Exception {
        FakeStore store = new FakeStore(vertx, new StoreSnapshot(5, Map.of("/apisix/routes/1", kv("/apisix/routes/1", "a", 5))));
        BlockingQueue<StoreUpdate> q = new LinkedBlockingQueue<>();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        ConfigWatcher w = await(ConfigWatcher.start(store, s -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            q.add(s);
            concurrent.decrementAndGet();
        }));
        Folded f = new Folded();
        assertEquals(5, f.apply(poll(q)).revision());
        assertNotNull(store.handler, "ConfigWatcher must watch after the initial load");
        assertEquals(5, store.watchedFrom);

        // three events in one context task (as one etcd watch response): one onChange
        store.deliver(List.of(
                new WatchEvent.Put(kv("/apisix/routes/2", "b", 6), 6),
                new WatchEvent.Put(kv("/apisix/routes/3", "c", 7), 7),
                new WatchEvent.Delete("/apisix/routes/1", 8)));
        StoreUpdate s = f.apply(poll(q));
        assertEquals(8, s.revision());
        assertEquals(Set.of("/apisix/routes/1"), s.deleted());
        assertEquals(Map.of("/apisix/routes/2", kv("/apisix/routes/2", "b", 6), "/apisix/routes/3", kv("/apisix/routes/3", "c", 7)),
                f.entries);
        assertNull(q.poll(200, TimeUnit.MILLISECONDS), "one call per batch");

        // a reset replaces everything, and says exactly what changed
        store.deliver(List.of(new WatchEvent.Reset(new StoreSnapshot(20, Map.of(
                "/apisix/routes/3", kv("/apisix/routes/3", "c", 7),
                "/apisix/routes/9", kv("/apisix/routes/9", "z", 19))))));
        s = f.apply(poll(q));
        assertEquals(20, s.revision());
        assertEquals(Set.of("/apisix/routes/9"), s.changed().keySet(), "route 3 did not change");
        assertEquals(Set.of("/apisix/routes/2"), s.deleted());
        assertEquals(Map.of("/apisix/routes/3", kv("/apisix/routes/3", "c", 7), "/apisix/routes/9", kv("/apisix/routes/9", "z", 19)),
                f.entries);

        // a reset that changes nothing does not call onChange, but advances the revision
        store.deliver(List.of(new WatchEvent.Reset(new StoreSnapshot(21, Map.of(
                "/apisix/routes/3", kv("/apisix/routes/3", "c", 7),
                "/apisix/routes/9", kv("/apisix/routes/9", "z", 19))))));
        assertNull(q.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(21, w.revision());

        // a stale put (already seen) changes nothing
        store.deliver(List.of(new WatchEvent.Put(kv("/apisix/routes/9", "older", 10), 10)));
        assertNull(q.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(1, maxConcurrent.get());
    }

    @Test
    void followsEtcdAndCoalescesATransaction() throws Exception {
        try (EtcdProcess etcd = EtcdProcess.start();
             Client admin = Client.builder().endpoints(etcd.endpoint()).build()) {
            EtcdStore store = new EtcdStore(vertx, new EtcdConf(List.of(etcd.endpoint()), "/apisix", Duration.ofSeconds(5), null, null));
            try {
                await(store.put("/apisix/routes/1", "a"));
                BlockingQueue<StoreUpdate> q = new LinkedBlockingQueue<>();
                ConfigWatcher w = await(ConfigWatcher.start(store, q::add));
                Folded f = new Folded();
                f.apply(poll(q));
                assertEquals(Map.of("/apisix/routes/1", "a"), f.values());

                // two puts and a delete in one transaction arrive in one watch response: one snapshot
                admin.getKVClient().txn().Then(
                        Op.put(bytes("/apisix/routes/2"), bytes("b"), PutOption.DEFAULT),
                        Op.put(bytes("/apisix/routes/3"), bytes("c"), PutOption.DEFAULT),
                        Op.delete(bytes("/apisix/routes/1"), io.etcd.jetcd.options.DeleteOption.DEFAULT))
                        .commit().get(10, TimeUnit.SECONDS);
                f.apply(poll(q));
                assertEquals(Map.of("/apisix/routes/2", "b", "/apisix/routes/3", "c"), f.values());
                assertNull(q.poll(300, TimeUnit.MILLISECONDS), "one call for the transaction");
                w.close();
            } finally {
                await(store.close());
            }
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** A store whose watch events the test pushes by hand, on the watch's context, several per task. */
    private static final class FakeStore implements ConfigStore {
        private final Vertx vertx;
        private final StoreSnapshot initial;
        volatile Handler<WatchEvent> handler;
        volatile Context context;
        volatile long watchedFrom = -1;

        FakeStore(Vertx vertx, StoreSnapshot initial) {
            this.vertx = vertx;
            this.initial = initial;
        }

        void deliver(List<WatchEvent> events) {
            context.runOnContext(v -> events.forEach(handler::handle));
        }

        @Override
        public String prefix() {
            return "/apisix";
        }

        @Override
        public Future<StoreSnapshot> load() {
            Promise<StoreSnapshot> p = Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> p.complete(initial));
            return p.future();
        }

        @Override
        public Future<List<KeyValue>> list(String keyPrefix) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<KeyValue> get(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Long> put(String key, String value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Long> deleteRevision(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void watch(long fromRevision, Handler<WatchEvent> h) {
            context = vertx.getOrCreateContext();
            watchedFrom = fromRevision;
            handler = h;
        }

        @Override
        public Future<Void> close() {
            return Future.succeededFuture();
        }
    }
}
