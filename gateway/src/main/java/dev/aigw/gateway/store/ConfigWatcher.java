package dev.aigw.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Follows a store: loads everything, then turns its watch events into {@link StoreUpdate}s (what was
 * put and what was deleted) handed to {@code onChange}.
 *
 * <p>Events that arrive together (one etcd watch response, or several built-in store changes queued
 * on the context before the watcher runs) are coalesced into one call. {@code onChange} is called on
 * the Vert.x context the store delivers watch events on, never concurrently with itself; it must not
 * block (rebuild the route table off the event loop if that is expensive). A {@link WatchEvent.Reset}
 * (after a compaction or a broken watch) is compared with what was known, so only real differences
 * are passed on, and a Reset that changes nothing does not call {@code onChange} at all.
 *
 * <p>The watcher keeps one mutable map of the current entries for that comparison and never copies
 * it: a change costs the size of the change, whatever the number of routes.
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Consumer<StoreUpdate> onChange;
    // working state, only touched from the store's watch context
    private final Map<String, KeyValue> working = new HashMap<>();
    private final StoreUpdate.Pending pending = new StoreUpdate.Pending();
    private boolean flushScheduled;
    private volatile long revision;
    private volatile boolean closed;
    /** "<prefix>/": the resource kind of a key is its first segment after it. */
    private final String prefix;
    // the highest modify index seen per resource kind (APISIX's etcd_modify_indexes{key="routes"}, ...);
    // read by the metrics scrape on another thread, bounded by the number of kinds in the store
    private final Map<String, Long> kindIndexes = new ConcurrentHashMap<>();

    private ConfigWatcher(Consumer<StoreUpdate> onChange, String prefix) {
        this.onChange = onChange;
        this.prefix = prefix + "/";
    }

    /**
     * Loads everything, delivers it to {@code onChange} as one update, then follows the store's watch.
     *
     * @return completes once the initial update has been delivered; fails when the initial load
     *         fails (e.g. a corrupt store file, etcd unreachable past its timeout) or onChange throws on it
     */
    public static Future<ConfigWatcher> start(ConfigStore store, Consumer<StoreUpdate> onChange) {
        ConfigWatcher w = new ConfigWatcher(onChange, store.prefix());
        return store.load().compose(snap -> {
            w.working.putAll(snap.entries());
            snap.entries().values().forEach(kv -> w.indexed(kv.key(), kv.modRevision()));
            w.revision = snap.revision();
            try {
                onChange.accept(StoreUpdate.of(snap));
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
            store.watch(snap.revision(), w::onEvent);
            return Future.succeededFuture(w);
        });
    }

    /** The store revision of the latest event seen (also of a Reset that changed nothing). */
    public long revision() {
        return revision;
    }

    /**
     * The highest modify index seen per resource kind ({@code routes}, {@code consumers}, ...): a put
     * raises its kind to the entry's index, a delete to the deleting revision, as APISIX's
     * {@code etcd_modify_indexes} does. A snapshot copy.
     */
    public Map<String, Long> modifyIndexes() {
        return Map.copyOf(kindIndexes);
    }

    private void indexed(String key, long index) {
        if (!key.startsWith(prefix)) {
            return;
        }
        int end = key.indexOf('/', prefix.length());
        String kind = key.substring(prefix.length(), end < 0 ? key.length() : end);
        if (!kind.isEmpty()) {
            kindIndexes.merge(kind, index, Math::max);
        }
    }

    /** Stops calling onChange. The store's watch itself ends when the store is closed. */
    @Override
    public void close() {
        closed = true;
    }

    private void onEvent(WatchEvent e) {
        if (closed) {
            return;
        }
        if (e instanceof WatchEvent.Put p) {
            KeyValue old = working.get(p.kv().key());
            if (old != null && old.modRevision() >= p.kv().modRevision()) {
                return; // a replay of something we already have
            }
            put(p.kv());
        } else if (e instanceof WatchEvent.Delete d) {
            if (working.containsKey(d.key())) {
                indexed(d.key(), e.revision());
            }
            remove(d.key());
        } else if (e instanceof WatchEvent.Reset r) {
            Map<String, KeyValue> now = r.snapshot().entries();
            for (String key : List.copyOf(working.keySet())) {
                if (!now.containsKey(key)) {
                    indexed(key, e.revision());
                    remove(key);
                }
            }
            for (KeyValue kv : now.values()) {
                if (!kv.equals(working.get(kv.key()))) {
                    put(kv);
                }
            }
        }
        // a reset is authoritative, even if it goes backwards
        revision = e instanceof WatchEvent.Reset ? e.revision() : Math.max(revision, e.revision());
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
            flush(); // a store delivering outside Vert.x: no batching possible
        } else if (!flushScheduled) {
            flushScheduled = true;
            // runs after the events already queued on this context: they join this batch
            ctx.runOnContext(v -> flush());
        }
    }

    private void put(KeyValue kv) {
        indexed(kv.key(), kv.modRevision());
        working.put(kv.key(), kv);
        pending.put(kv);
    }

    private void remove(String key) {
        if (working.remove(key) != null) {
            pending.delete(key);
        }
    }

    private void flush() {
        flushScheduled = false;
        if (closed || pending.isEmpty()) {
            return;
        }
        pending.revision(revision);
        StoreUpdate update = pending.take();
        try {
            onChange.accept(update);
        } catch (RuntimeException ex) {
            LOG.error("configuration change at revision {} could not be applied", update.revision(), ex);
        }
    }
}
