package dev.aigw.gateway.store;

/** A change seen by {@link ConfigStore#watch}. */
public sealed interface WatchEvent {

    /** The store revision this event brings the watcher to. */
    long revision();

    /** An entry was created or replaced. */
    record Put(KeyValue kv, long revision) implements WatchEvent {
    }

    /** An entry was deleted. */
    record Delete(String key, long revision) implements WatchEvent {
    }

    /** History could not be followed (compaction, reconnect): here is everything, start over from it. */
    record Reset(StoreSnapshot snapshot) implements WatchEvent {
        @Override
        public long revision() {
            return snapshot.revision();
        }
    }
}
