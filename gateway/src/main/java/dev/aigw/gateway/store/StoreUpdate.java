package dev.aigw.gateway.store;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What changed under the store's prefix: the entries put since the previous update and the keys
 * deleted since then. {@link ConfigWatcher} delivers one per batch of watch events; the first one
 * holds every entry. Carrying only the change (never a copy of all entries) keeps a change to one
 * route among 10 000 cheap all the way to the route table.
 *
 * @param revision the store revision this update brings the reader to
 * @param changed  entries created or modified, by full key (unmodifiable)
 * @param deleted  keys removed (unmodifiable; never also in {@code changed}); may name a key the
 *                 reader never saw, when it was put and deleted between two updates
 */
public record StoreUpdate(long revision, Map<String, KeyValue> changed, Set<String> deleted) {

    /** Everything in a snapshot, as an update to an empty reader. */
    public static StoreUpdate of(StoreSnapshot snapshot) {
        // a snapshot's map is made for it and never changed after: a view is enough, no copy of every entry
        return new StoreUpdate(snapshot.revision(), Collections.unmodifiableMap(snapshot.entries()), Set.of());
    }

    /** True when nothing changed. */
    public boolean isEmpty() {
        return changed.isEmpty() && deleted.isEmpty();
    }

    /**
     * Changes collected one by one (puts, deletes, whole updates) and taken as one update: the
     * store watcher batches watch events with it, and the route builder's holder the updates that
     * arrive while a build runs. Each change costs its own size, never the size of what is pending.
     * Not thread-safe.
     */
    public static final class Pending {
        private Map<String, KeyValue> changed = new HashMap<>();
        private Set<String> deleted = new HashSet<>();
        private long revision;

        public void put(KeyValue kv) {
            changed.put(kv.key(), kv);
            deleted.remove(kv.key());
        }

        public void delete(String key) {
            changed.remove(key);
            deleted.add(key);
        }

        /** Adds a whole update after what is pending; its revision becomes the pending one. */
        public void add(StoreUpdate u) {
            u.deleted.forEach(this::delete);
            u.changed.values().forEach(this::put);
            revision = u.revision;
        }

        public void revision(long revision) {
            this.revision = revision;
        }

        public boolean isEmpty() {
            return changed.isEmpty() && deleted.isEmpty();
        }

        /** Everything pending as one update; nothing is pending afterwards. */
        public StoreUpdate take() {
            StoreUpdate u = new StoreUpdate(revision, Collections.unmodifiableMap(changed), Collections.unmodifiableSet(deleted));
            changed = new HashMap<>();
            deleted = new HashSet<>();
            return u;
        }
    }
}
