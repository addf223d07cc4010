package dev.aigw.admin;

import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.KeyValue;
import dev.aigw.gateway.store.StoreSnapshot;
import dev.aigw.gateway.store.WatchEvent;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The Admin API's view of the store: a write completes only once this node's data plane has applied it
 * (bounded by a timeout, after which the write is answered anyway and the delay logged), so a client
 * that gets its 201 and sends a request to this node is routed by the new configuration. The same for
 * both stores; other nodes learn of the change through their own watch, as in APISIX.
 */
final class VisibleWrites implements ConfigStore {

    /** Waits for a store revision to be applied here; completes with false on timeout, never fails. */
    @FunctionalInterface
    interface Applied {
        Future<Boolean> await(long revision, long timeoutMs);
    }

    private static final Logger LOG = LoggerFactory.getLogger(VisibleWrites.class);

    private final ConfigStore store;
    private final Applied applied;
    private final long timeoutMs;

    VisibleWrites(ConfigStore store, Applied applied, long timeoutMs) {
        this.store = store;
        this.applied = applied;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public String prefix() {
        return store.prefix();
    }

    @Override
    public Future<StoreSnapshot> load() {
        return store.load();
    }

    @Override
    public Future<List<KeyValue>> list(String keyPrefix) {
        return store.list(keyPrefix);
    }

    @Override
    public Future<KeyValue> get(String key) {
        return store.get(key);
    }

    @Override
    public Future<Long> put(String key, String value) {
        Future<Long> written = store.put(key, value);
        if (key.endsWith("/gen_id")) {
            return written; // an id counter, not configuration: nothing to wait for
        }
        return written.compose(rev -> visible(key, rev).map(rev));
    }

    @Override
    public Future<Long> deleteRevision(String key) {
        return store.deleteRevision(key).compose(rev -> rev < 0 ? Future.succeededFuture(rev)
                : visible(key, rev).map(rev));
    }

    private Future<Boolean> visible(String key, long revision) {
        return applied.await(revision, timeoutMs).onSuccess(ok -> {
            if (!ok) {
                LOG.warn("change of {} at revision {} not applied by this node within {} ms; answering anyway",
                        key, revision, timeoutMs);
            }
        });
    }

    @Override
    public void watch(long fromRevision, Handler<WatchEvent> handler) {
        store.watch(fromRevision, handler);
    }

    @Override
    public Future<Void> close() {
        return store.close();
    }
}
