package dev.aigw.gateway.route;

import dev.aigw.gateway.store.StoreSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Holds the current {@link RuntimeConfig} and replaces it on every store change.
 *
 * <p>Builds run on a worker thread, one at a time; snapshots that arrive while a build runs are
 * coalesced so that only the newest is built next (a burst of 1000 changes costs a few builds, not
 * 1000). The finished configuration is published with one volatile write; a request reads it once.
 * A failed build keeps the previous configuration.
 */
public final class RuntimeConfigHolder implements Supplier<RuntimeConfig>, Consumer<StoreSnapshot> {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeConfigHolder.class);

    private final Vertx vertx;
    private final RouteTableBuilder builder;
    private volatile RuntimeConfig current = RuntimeConfig.EMPTY;

    private final Object lock = new Object();
    private StoreSnapshot pending;
    private boolean building;
    private final Promise<Void> firstBuild = Promise.promise();

    public RuntimeConfigHolder(Vertx vertx, RouteTableBuilder builder) {
        this.vertx = vertx;
        this.builder = builder;
    }

    @Override
    public RuntimeConfig get() {
        return current;
    }

    /** Completes once the first snapshot has been built and published. */
    public Future<Void> ready() {
        return firstBuild.future();
    }

    /** Accepts a new snapshot (from the store watcher); returns at once, the build runs on a worker. */
    @Override
    public void accept(StoreSnapshot snapshot) {
        synchronized (lock) {
            pending = snapshot;
            if (building) {
                return;
            }
            building = true;
        }
        buildNext();
    }

    private void buildNext() {
        StoreSnapshot snap;
        synchronized (lock) {
            snap = pending;
            pending = null;
            if (snap == null) {
                building = false;
                return;
            }
        }
        vertx.executeBlocking(() -> builder.build(snap), false).onComplete(ar -> {
            if (ar.succeeded()) {
                current = ar.result();
                LOG.debug("configuration at revision {} applied: {} routes", snap.revision(), ar.result().table().size());
            } else {
                LOG.error("building the configuration at revision {} failed; keeping the previous one",
                        snap.revision(), ar.cause());
            }
            firstBuild.tryComplete();
            buildNext();
        });
    }
}
