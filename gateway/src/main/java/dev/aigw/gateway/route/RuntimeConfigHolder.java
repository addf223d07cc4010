package dev.aigw.gateway.route;

import dev.aigw.gateway.store.StoreUpdate;
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
 * <p>Builds run on a worker thread, one at a time; updates that arrive while a build runs are
 * merged into one, applied next (a burst of 1000 changes costs a few builds, not 1000). The finished configuration is published with one volatile write; a request reads it once.
 * A failed build keeps the previous configuration.
 */
public final class RuntimeConfigHolder implements Supplier<RuntimeConfig>, Consumer<StoreUpdate> {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeConfigHolder.class);

    private final Vertx vertx;
    private final RouteTableBuilder builder;
    private volatile RuntimeConfig current = RuntimeConfig.EMPTY;

    private final Object lock = new Object();
    private final StoreUpdate.Pending pending = new StoreUpdate.Pending();
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

    /** Completes once the first update has been applied and published. */
    public Future<Void> ready() {
        return firstBuild.future();
    }

    /** Accepts a store update (from the store watcher); returns at once, the build runs on a worker. */
    @Override
    public void accept(StoreUpdate update) {
        synchronized (lock) {
            pending.add(update);
            if (building) {
                return;
            }
            building = true;
        }
        buildNext();
    }

    private void buildNext() {
        StoreUpdate next;
        synchronized (lock) {
            // the first update is applied even when empty: an empty store is a configuration too
            if (pending.isEmpty() && firstBuild.future().isComplete()) {
                building = false;
                return;
            }
            next = pending.take();
        }
        vertx.executeBlocking(() -> builder.apply(next), false).onComplete(ar -> {
            if (ar.succeeded()) {
                current = ar.result();
                LOG.debug("configuration at revision {} applied: {} routes", next.revision(), ar.result().table().size());
            } else {
                LOG.error("applying the configuration change at revision {} failed; keeping the previous one",
                        next.revision(), ar.cause());
            }
            firstBuild.tryComplete();
            buildNext();
        });
    }
}
