package dev.aigw.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Keeps an immutable view of everything under the store's prefix and hands a fresh
 * {@link StoreSnapshot} to {@code onChange} after each batch of changes.
 *
 * <p>Events that arrive together (one etcd watch response, or several built-in store changes queued
 * on the context before the watcher runs) are coalesced into one call. {@code onChange} is called on
 * the Vert.x context the store delivers watch events on, never concurrently with itself; it must not
 * block (rebuild the route table off the event loop if that is expensive). A {@link WatchEvent.Reset}
 * that changes nothing (same entries, e.g. after a reconnect) does not call {@code onChange}.
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Consumer<StoreSnapshot> onChange;
    // working state, only touched from the store's watch context
    private final TreeMap<String, KeyValue> working = new TreeMap<>();
    private long revision;
    private boolean dirty;
    /** A Reset arrived since the last flush: only then can the new state equal the old one. */
    private boolean resetSeen;
    private boolean flushScheduled;
    private volatile boolean closed;
    private volatile StoreSnapshot current;

    private ConfigWatcher(Consumer<StoreSnapshot> onChange) {
        this.onChange = onChange;
    }

    /**
     * Loads everything, delivers it to {@code onChange}, then follows the store's watch.
     *
     * @return completes once the initial snapshot has been delivered; fails when the initial load
     *         fails (e.g. a corrupt store file, etcd unreachable past its timeout) or onChange throws on it
     */
    public static Future<ConfigWatcher> start(ConfigStore store, Consumer<StoreSnapshot> onChange) {
        ConfigWatcher w = new ConfigWatcher(onChange);
        return store.load().compose(snap -> {
            w.working.putAll(snap.entries());
            w.revision = snap.revision();
            StoreSnapshot first = new StoreSnapshot(snap.revision(), Collections.unmodifiableMap(new TreeMap<>(snap.entries())));
            w.current = first;
            try {
                onChange.accept(first);
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
            store.watch(snap.revision(), w::onEvent);
            return Future.succeededFuture(w);
        });
    }

    /** The latest snapshot delivered to onChange (or the latest state, if a Reset changed nothing). */
    public StoreSnapshot current() {
        return current;
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
            working.put(p.kv().key(), p.kv());
        } else if (e instanceof WatchEvent.Delete d) {
            if (working.remove(d.key()) == null) {
                resetSeen = true; // nothing deleted: compare before calling onChange
            }
        } else if (e instanceof WatchEvent.Reset r) {
            resetSeen = true;
            working.clear();
            working.putAll(r.snapshot().entries());
        }
        revision = Math.max(revision, e.revision());
        if (e instanceof WatchEvent.Reset) {
            revision = e.revision(); // a reset is authoritative, even if it goes backwards
        }
        dirty = true;
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
            flush(); // a store delivering outside Vert.x: no batching possible
        } else if (!flushScheduled) {
            flushScheduled = true;
            // runs after the events already queued on this context: they join this batch
            ctx.runOnContext(v -> flush());
        }
    }

    private void flush() {
        flushScheduled = false;
        if (!dirty || closed) {
            return;
        }
        dirty = false;
        StoreSnapshot prev = current;
        // copying a sorted map is linear but cheap; comparing every entry is only needed after a
        // Reset, since an applied put or delete always changes the state
        StoreSnapshot next = new StoreSnapshot(revision, Collections.unmodifiableMap(new TreeMap<>(working)));
        current = next;
        boolean compare = resetSeen;
        resetSeen = false;
        if (compare && prev != null && prev.entries().equals(next.entries())) {
            return;
        }
        try {
            onChange.accept(next);
        } catch (RuntimeException ex) {
            LOG.error("configuration change at revision {} could not be applied", revision, ex);
        }
    }
}
