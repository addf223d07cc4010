package dev.aigw.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.aigw.gateway.store.StoreTestSupport.await;
import static dev.aigw.gateway.store.StoreTestSupport.awaitFailure;
import static dev.aigw.gateway.store.StoreTestSupport.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalStoreTest {

    @TempDir
    Path prefix;

    private Vertx vertx;
    private final List<LocalStore> stores = new ArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (LocalStore s : stores) {
            await(s.close());
        }
        await(vertx.close());
    }

    private LocalStore open() {
        LocalStore s = new LocalStore(vertx, prefix, "/apisix");
        stores.add(s);
        return s;
    }

    private LocalStore openWithHistory(int history) {
        LocalStore s = new LocalStore(vertx, prefix.resolve(LocalStore.FILE), "/apisix", history);
        stores.add(s);
        return s;
    }

    @Test
    void crud() throws Exception {
        LocalStore s = open();
        assertEquals(prefix.resolve("data/store.json").toAbsolutePath(), s.file());
        StoreSnapshot empty = await(s.load());
        assertEquals(0, empty.revision());
        assertTrue(empty.entries().isEmpty());

        assertEquals(1L, await(s.put("/apisix/routes/2", "{\"uri\":\"/b\"}")));
        assertEquals(2L, await(s.put("/apisix/routes/1", "{\"uri\":\"/a\"}")));
        assertEquals(3L, await(s.put("/apisix/upstreams/1", "{}")));
        assertEquals(4L, await(s.put("/apisix/routes/2", "{\"uri\":\"/b2\"}")));

        KeyValue r2 = await(s.get("/apisix/routes/2"));
        assertEquals(new KeyValue("/apisix/routes/2", "{\"uri\":\"/b2\"}", 1, 4), r2);
        assertNull(await(s.get("/apisix/routes/9")));

        List<KeyValue> routes = await(s.list("/apisix/routes/"));
        assertEquals(List.of("/apisix/routes/1", "/apisix/routes/2"), routes.stream().map(KeyValue::key).toList());

        assertTrue(await(s.delete("/apisix/routes/1")));
        assertFalse(await(s.delete("/apisix/routes/1")));
        StoreSnapshot snap = await(s.load());
        assertEquals(5, snap.revision(), "a delete of a missing key does not bump the revision");
        assertEquals(List.of("/apisix/routes/2", "/apisix/upstreams/1"), List.copyOf(snap.entries().keySet()));
    }

    @Test
    void loadOnlyReturnsKeysUnderThePrefix() throws Exception {
        LocalStore s = open();
        await(s.put("/apisix/routes/1", "{}"));
        await(s.put("/apisixother/routes/1", "{}"));
        await(s.put("/other/x", "{}"));
        assertEquals(List.of("/apisix/routes/1"), List.copyOf(await(s.load()).entries().keySet()));
    }

    @Test
    void aCompletedPutIsOnDisk() throws Exception {
        LocalStore s = open();
        await(s.put("/apisix/routes/1", "{\"uri\":\"/hello\"}"));
        JsonObject doc = new JsonObject(Files.readString(s.file()));
        assertEquals(1L, doc.getLong("revision"));
        assertEquals("{\"uri\":\"/hello\"}", doc.getJsonArray("entries").getJsonObject(0).getString("value"));
        try (var files = Files.list(s.file().getParent())) {
            assertEquals(List.of(s.file()), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void survivesRestartAndRevisionKeepsGrowing() throws Exception {
        LocalStore first = open();
        await(first.put("/apisix/routes/1", "a"));
        await(first.put("/apisix/routes/2", "b"));
        await(first.delete("/apisix/routes/2"));
        await(first.close());

        LocalStore second = open();
        StoreSnapshot snap = await(second.load());
        assertEquals(3, snap.revision());
        assertEquals(Map.of("/apisix/routes/1", new KeyValue("/apisix/routes/1", "a", 1, 1)), snap.entries());
        assertEquals(4L, await(second.put("/apisix/routes/1", "a2")));
        assertEquals(new KeyValue("/apisix/routes/1", "a2", 1, 4), await(second.get("/apisix/routes/1")));
    }

    @Test
    void concurrentPutsAreGroupCommittedDurablyAndInOrder() throws Exception {
        LocalStore s = open();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        s.watch(0, q::add);
        int threads = 4;
        int perThread = 100;
        List<Future<Long>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int tt = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    futures.add(s.put("/apisix/routes/t" + tt + "-" + i, "{\"n\":" + i + "}"));
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join(10_000);
        }
        java.util.Set<Long> revisions = new java.util.HashSet<>();
        for (Future<Long> f : futures) {
            Long rev = await(f);
            assertTrue(revisions.add(rev), "each put has its own revision");
        }
        assertEquals(threads * perThread, revisions.size());
        // completed puts are on disk: a second store reading the files now (as after a crash) has them all
        LocalStore reader = open();
        StoreSnapshot onDisk = await(reader.load());
        assertEquals(threads * perThread, onDisk.entries().size());
        assertEquals((long) threads * perThread, onDisk.revision());
        long last = 0;
        for (int i = 0; i < threads * perThread; i++) {
            WatchEvent e = next(q);
            assertEquals(last + 1, e.revision(), "revisions arrive in order, without gaps");
            last = e.revision();
        }
        // each thread's puts got increasing revisions in the order it made them
        for (int t = 0; t < threads; t++) {
            long prev = 0;
            for (int i = 0; i < perThread; i++) {
                long r = await(s.get("/apisix/routes/t" + t + "-" + i)).modRevision();
                assertTrue(r > prev, "thread " + t + " put " + i);
                prev = r;
            }
        }
        // and a restart reads every one of them back
        await(s.close());
        stores.remove(s);
        LocalStore again = open();
        StoreSnapshot snap = await(again.load());
        assertEquals(threads * perThread, snap.entries().size());
        assertEquals((long) threads * perThread, snap.revision());
    }

    @Test
    void journalIsReplayedAndATornLastLineDropped() throws Exception {
        LocalStore s = open();
        await(s.put("/apisix/routes/1", "{\"uri\":\"/one\"}"));       // writes the store file
        await(s.put("/apisix/routes/2", "{\"uri\":\"/two\"}"));       // journal
        await(s.put("/apisix/routes/1", "{\"uri\":\"/one-b\"}"));     // journal
        assertTrue(await(s.delete("/apisix/routes/2")));
        Path journal = s.file().resolveSibling("store.json.journal");
        assertTrue(Files.size(journal) > 0, "small changes go to the journal");
        // a crash in the middle of the next append
        Files.writeString(journal, "{\"r\":5,\"k\":\"/apisix/routes/3\",\"v\":\"x", java.nio.file.StandardOpenOption.APPEND);
        LocalStore after = open(); // the first one is never closed: as after a crash
        StoreSnapshot snap = await(after.load());
        assertEquals(4, snap.revision());
        assertEquals(Map.of("/apisix/routes/1", "{\"uri\":\"/one-b\"}"), StoreTestSupport.values(snap));
        assertEquals(1, snap.entries().get("/apisix/routes/1").createRevision());
        assertEquals(5L, await(after.put("/apisix/routes/3", "y")));
        await(after.close());
        stores.remove(after);
        // closing folds the journal into the store file
        JsonObject doc = new JsonObject(Files.readString(after.file()));
        assertEquals(5L, doc.getLong("revision"));
        assertEquals(2, doc.getJsonArray("entries").size());
    }

    @Test
    void watchDeliversEveryChangeInOrder() throws Exception {
        LocalStore s = open();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        s.watch(0, q::add);
        // fire without waiting: the store must serialize them in call order
        List<Future<?>> pending = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            pending.add(s.put("/apisix/routes/" + (i % 7), "v" + i));
            if (i % 5 == 4) {
                pending.add(s.delete("/apisix/routes/" + (i % 7)));
            }
        }
        for (Future<?> f : pending) {
            await(f);
        }
        StoreSnapshot end = await(s.load());
        Map<String, String> view = new HashMap<>();
        long last = 0;
        for (int i = 0; i < end.revision(); i++) {
            WatchEvent e = next(q);
            assertEquals(last + 1, e.revision(), "revisions arrive in order, without gaps");
            last = e.revision();
            StoreTestSupport.apply(view, e);
        }
        assertEquals(StoreTestSupport.values(end), view);
        assertNull(q.poll(100, TimeUnit.MILLISECONDS), "nothing extra");
    }

    @Test
    void watchReplaysRetainedHistoryAndResetsBeyondIt() throws Exception {
        LocalStore s = openWithHistory(3);
        for (int i = 1; i <= 10; i++) {
            await(s.put("/apisix/routes/" + i, "v" + i));
        }
        BlockingQueue<WatchEvent> recent = new LinkedBlockingQueue<>();
        s.watch(8, recent::add);
        WatchEvent.Put p9 = assertInstanceOf(WatchEvent.Put.class, next(recent));
        assertEquals(9, p9.revision());
        assertEquals("/apisix/routes/9", p9.kv().key());
        assertEquals(10, next(recent).revision());

        BlockingQueue<WatchEvent> old = new LinkedBlockingQueue<>();
        s.watch(2, old::add);
        WatchEvent.Reset reset = assertInstanceOf(WatchEvent.Reset.class, next(old));
        assertEquals(10, reset.revision());
        assertEquals(10, reset.snapshot().entries().size());

        // both keep following
        await(s.put("/apisix/routes/11", "v11"));
        assertEquals(11, next(recent).revision());
        assertEquals(11, next(old).revision());
    }

    @Test
    void watchFromBeforeARestartGetsAReset() throws Exception {
        LocalStore first = open();
        await(first.put("/apisix/routes/1", "a"));
        await(first.put("/apisix/routes/2", "b"));
        await(first.close());

        LocalStore second = open();
        BlockingQueue<WatchEvent> q = new LinkedBlockingQueue<>();
        second.watch(1, q::add);
        WatchEvent.Reset r = assertInstanceOf(WatchEvent.Reset.class, next(q));
        assertEquals(2, r.revision());
        assertEquals(2, r.snapshot().entries().size());

        BlockingQueue<WatchEvent> current = new LinkedBlockingQueue<>();
        second.watch(2, current::add);
        await(second.put("/apisix/routes/3", "c"));
        assertEquals(3, next(current).revision(), "a watch from the current revision needs no reset");
    }

    @Test
    void corruptFileFailsWithItsName() throws Exception {
        Path file = prefix.resolve(LocalStore.FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"revision\": 3, \"entries\": [");
        LocalStore s = open();
        Throwable t = awaitFailure(s.load());
        assertTrue(t.getMessage().startsWith("corrupt store file " + file.toAbsolutePath()), t.getMessage());
        awaitFailure(s.put("/apisix/routes/1", "x"));
        assertEquals("{\"revision\": 3, \"entries\": [", Files.readString(file), "a corrupt file is never overwritten");
    }

    @Test
    void storeFileIsReadFieldByField() throws Exception {
        Map<String, KeyValue> out = new TreeMap<>();
        // field order is free and unknown fields are skipped, nested ones included
        long rev = LocalStore.parseStoreFile(("{\"entries\":[{\"value\":\"{\\\"uri\\\":\\\"/a\\\"}\",\"x\":{\"y\":[1]},"
                + "\"key\":\"/apisix/routes/1\",\"create_revision\":2,\"mod_revision\":3}],\"note\":[{}],\"revision\":4}")
                .getBytes(StandardCharsets.UTF_8), out);
        assertEquals(4, rev);
        assertEquals(Map.of("/apisix/routes/1", new KeyValue("/apisix/routes/1", "{\"uri\":\"/a\"}", 2, 3)), out);
        for (String bad : List.of(
                "[]",
                "{\"entries\":[]}",
                "{\"revision\":\"4\",\"entries\":[]}",
                "{\"revision\":4,\"entries\":[{\"key\":\"/apisix/routes/1\",\"create_revision\":1,\"mod_revision\":1}]}",
                "{\"revision\":4,\"entries\":[{\"key\":\"/k\",\"value\":\"v\",\"create_revision\":1,\"mod_revision\":5}]}",
                "{\"revision\":4,\"entries\":[1]}",
                "{\"revision\":4,\"entries\":[")) {
            assertThrows(Exception.class, () -> LocalStore.parseStoreFile(bad.getBytes(StandardCharsets.UTF_8),
                    new TreeMap<>()), bad);
        }
    }

    @Test
    void failedWriteIsRolledBack() throws Exception {
        // a directory where the temporary file must go: writing it fails
        Files.createDirectories(prefix.resolve(LocalStore.FILE + ".tmp"));
        LocalStore s = open();
        Throwable t = awaitFailure(s.put("/apisix/routes/1", "x"));
        assertTrue(t.getMessage().startsWith("failed to write "), t.getMessage());
        assertNull(await(s.get("/apisix/routes/1")));
        assertEquals(0, await(s.load()).revision());
    }
}
