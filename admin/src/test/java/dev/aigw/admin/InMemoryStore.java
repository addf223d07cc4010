package dev.aigw.admin;

import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.KeyValue;
import dev.aigw.gateway.store.StoreSnapshot;
import dev.aigw.gateway.store.WatchEvent;
import io.vertx.core.Future;
import io.vertx.core.Handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A ConfigStore in memory for tests: a sorted map, a revision counter and the list of watchers. */
final class InMemoryStore implements ConfigStore {

    private final String prefix;
    private final TreeMap<String, KeyValue> entries = new TreeMap<>();
    private final List<WatchEvent> history = new ArrayList<>();
    private final List<Handler<WatchEvent>> watchers = new ArrayList<>();
    private long revision;

    InMemoryStore(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public synchronized Future<StoreSnapshot> load() {
        return Future.succeededFuture(new StoreSnapshot(revision, Map.copyOf(entries)));
    }

    @Override
    public synchronized Future<List<KeyValue>> list(String keyPrefix) {
        List<KeyValue> out = new ArrayList<>();
        for (KeyValue kv : entries.tailMap(keyPrefix, true).values()) {
            if (!kv.key().startsWith(keyPrefix)) {
                break;
            }
            out.add(kv);
        }
        return Future.succeededFuture(out);
    }

    @Override
    public synchronized Future<KeyValue> get(String key) {
        return Future.succeededFuture(entries.get(key));
    }

    @Override
    public Future<Long> put(String key, String value) {
        WatchEvent ev;
        List<Handler<WatchEvent>> targets;
        synchronized (this) {
            revision++;
            KeyValue prev = entries.get(key);
            KeyValue kv = new KeyValue(key, value, prev == null ? revision : prev.createRevision(), revision);
            entries.put(key, kv);
            ev = new WatchEvent.Put(kv, revision);
            history.add(ev);
            targets = List.copyOf(watchers);
        }
        targets.forEach(h -> h.handle(ev));
        return Future.succeededFuture(ev.revision());
    }

    @Override
    public Future<Long> deleteRevision(String key) {
        WatchEvent ev;
        List<Handler<WatchEvent>> targets;
        synchronized (this) {
            if (entries.remove(key) == null) {
                return Future.succeededFuture(-1L);
            }
            revision++;
            ev = new WatchEvent.Delete(key, revision);
            history.add(ev);
            targets = List.copyOf(watchers);
        }
        long rev = ev.revision();
        targets.forEach(h -> h.handle(ev));
        return Future.succeededFuture(rev);
    }

    @Override
    public synchronized void watch(long fromRevision, Handler<WatchEvent> handler) {
        for (WatchEvent ev : history) {
            if (ev.revision() > fromRevision) {
                handler.handle(ev);
            }
        }
        watchers.add(handler);
    }

    @Override
    public synchronized Future<Void> close() {
        watchers.clear();
        return Future.succeededFuture();
    }

    /** Everything stored, for "nothing was written" assertions. */
    synchronized Map<String, KeyValue> dump() {
        return new TreeMap<>(entries);
    }

    /** Forgets every entry (between tests); the revision keeps growing, as a real store's would. */
    synchronized void clear() {
        entries.clear();
    }

    synchronized long revision() {
        return revision;
    }
}
