package dev.aigw.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Handler;

import java.util.List;

/**
 * Where routes, upstreams, global rules and plugin metadata live, under APISIX's key layout
 * ({@code <prefix>/routes/<id>}, values are the JSON documents). Two implementations: the built-in
 * file-backed store and etcd.
 *
 * <p>The Admin API only writes here; the data plane learns of every change only through
 * {@link #watch}, the same way for every implementation. All methods are non-blocking; futures
 * complete and watch events are delivered on a Vert.x context.
 */
public interface ConfigStore {

    /** The key prefix, {@code /apisix} by default. */
    String prefix();

    /** Everything under {@link #prefix()}, with the store revision it was read at. */
    Future<StoreSnapshot> load();

    /** All entries whose key starts with {@code keyPrefix}, sorted by key. */
    Future<List<KeyValue>> list(String keyPrefix);

    /** One entry, or null when absent. */
    Future<KeyValue> get(String key);

    /** Creates or replaces an entry; returns the new store revision. */
    Future<Long> put(String key, String value);

    /** Deletes an entry; true when it existed. */
    default Future<Boolean> delete(String key) {
        return deleteRevision(key).map(rev -> rev >= 0);
    }

    /**
     * Deletes an entry; returns the store revision of the delete, or -1 when there was nothing to
     * delete (a caller that waits for its change to be applied then has nothing to wait for).
     */
    Future<Long> deleteRevision(String key);

    /**
     * Delivers every change after {@code fromRevision}, in order. When the store cannot deliver the
     * exact history (etcd compaction, a broken watch, a reconnect after an outage) it delivers a
     * {@link WatchEvent.Reset} with a fresh full snapshot instead. Keeps retrying with backoff while
     * the store is unreachable; never gives up until {@link #close()}.
     */
    void watch(long fromRevision, Handler<WatchEvent> handler);

    /** Stops watches and releases connections. */
    Future<Void> close();
}
