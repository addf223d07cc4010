package dev.aigw.gateway.route;

import dev.aigw.gateway.store.StoreUpdate;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Holds the current {@link RuntimeConfig} and replaces it on every store change.
 *
 * <p>Builds run on a worker thread, one at a time; updates that arrive while a build runs are
 * merged into one, applied next (a burst of 1000 changes costs a few builds, not 1000). The finished configuration is published with one volatile write; a request reads it once.
 * A failed build keeps the previous configuration.
 *
 * <p>{@link #awaitApplied} lets a writer on this node (the Admin API) answer only once its change is
 * live here, so the next request sees it; other nodes stay eventually consistent, as in APISIX.
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
    /** Store revision of the last update a build finished with (succeeded or not). */
    private volatile long appliedRevision = -1;

    /** Writers waiting for a revision; bounded (past the cap a writer does not wait). */
    private static final int MAX_WAITERS = 10_000;
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(long revision, Context context, Promise<Boolean> promise) {
    }

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

    /** The store revision of the last applied update; -1 before the first. */
    public long appliedRevision() {
        return appliedRevision;
    }

    /**
     * Completes with true once an update at {@code revision} or later has been applied (its build
     * finished; a failed build counts, it is logged and will not get better by waiting), or with
     * false after {@code timeoutMs}. Never fails. Callbacks run on the caller's context.
     */
    public Future<Boolean> awaitApplied(long revision, long timeoutMs) {
        if (revision <= appliedRevision) {
            return Future.succeededFuture(true);
        }
        Context ctx = vertx.getOrCreateContext();
        Promise<Boolean> promise = Promise.promise();
        Waiter w = new Waiter(revision, ctx, promise);
        synchronized (lock) {
            if (waiters.size() >= MAX_WAITERS) {
                LOG.warn("{} writers already wait for their change to be applied; not waiting", MAX_WAITERS);
                return Future.succeededFuture(false);
            }
            waiters.add(w);
        }
        // the build may have finished between the first check and the registration
        if (revision <= appliedRevision) {
            release(appliedRevision);
        }
        long timer = vertx.setTimer(Math.max(1, timeoutMs), t -> {
            synchronized (lock) {
                waiters.remove(w);
            }
            promise.tryComplete(false);
        });
        return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    private void release(long applied) {
        List<Waiter> done = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.revision() <= applied) {
                    it.remove();
                    done.add(w);
                }
            }
        }
        for (Waiter w : done) {
            w.context().runOnContext(v -> w.promise().tryComplete(true));
        }
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
            if (next.revision() > appliedRevision) {
                appliedRevision = next.revision();
            }
            release(appliedRevision);
            buildNext();
        });
    }
}
