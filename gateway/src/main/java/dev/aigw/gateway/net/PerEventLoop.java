package dev.aigw.gateway.net;

import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
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
    private final ConcurrentHashMap<Thread, T> byLoop = new ConcurrentHashMap<>();
    private final Object offLoopLock = new Object();
    private volatile T offLoop;

    /** @param factory makes the instance of a loop; called at most once per loop, on that loop */
    public PerEventLoop(Supplier<T> factory) {
        this.factory = factory;
    }

    /** The calling event loop's instance (made now if it is the first call there), else the shared one. */
    public T get() {
        if (Context.isOnEventLoopThread()) {
            Thread t = Thread.currentThread();
            T v = byLoop.get(t);
            return v != null ? v : byLoop.computeIfAbsent(t, k -> factory.get());
        }
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

    /** Every instance made so far, and forgets them (to close them). */
    public List<T> drain() {
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
