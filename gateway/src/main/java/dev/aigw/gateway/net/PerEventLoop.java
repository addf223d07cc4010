package dev.aigw.gateway.net;

import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One instance of something per event loop thread, made there on first use; callers off the event
 * loops (workers, tests) share one more. For HTTP clients: Vert.x's client pool does not keep a
 * connection to the event loop that opened it, so with several event loops serving traffic a request
 * on one loop would often get a connection of another, and every write and response event would hop
 * between threads. A client per loop keeps each request and its upstream connection on one thread,
 * as nginx keeps an upstream keepalive pool per worker.
 *
 * <p>Thread-safe. The lookup is one concurrent-map read per call.
 *
 * @param <T> what is made per loop
 */
public final class PerEventLoop<T> {

    private final Supplier<T> factory;
    private final Consumer<T> close;
    private final ConcurrentHashMap<Thread, T> byLoop = new ConcurrentHashMap<>();
    private final Object offLoopLock = new Object();
    private volatile T offLoop;
    private volatile boolean drained;

    /**
     * @param factory makes the instance of a loop; called at most once per loop, on that loop
     * @param close   closes an instance a late caller made after {@link #drain} (nobody else would)
     */
    public PerEventLoop(Supplier<T> factory, Consumer<T> close) {
        this.factory = factory;
        this.close = close;
    }

    /**
     * The calling event loop's instance (made now if it is the first call there), else the shared one.
     * After {@link #drain}, what a late caller gets is closed at once (it fails as a closed one would).
     */
    public T get() {
        T v = Context.isOnEventLoopThread() ? onThisLoop() : offLoop();
        if (drained) {
            drain().forEach(close);
        }
        return v;
    }

    private T onThisLoop() {
        Thread t = Thread.currentThread();
        T v = byLoop.get(t);
        return v != null ? v : byLoop.computeIfAbsent(t, k -> factory.get());
    }

    private T offLoop() {
        T v = offLoop;
        if (v == null) {
            synchronized (offLoopLock) {
                v = offLoop;
                if (v == null) {
                    v = factory.get();
                    offLoop = v;
                }
            }
        }
        return v;
    }

    /** Every instance made so far, and forgets them (the caller closes them); later ones are closed here. */
    public List<T> drain() {
        drained = true;
        List<T> all = new ArrayList<>(byLoop.values());
        byLoop.clear();
        synchronized (offLoopLock) {
            if (offLoop != null) {
                all.add(offLoop);
                offLoop = null;
            }
        }
        return all;
    }
}
