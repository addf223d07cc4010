package dev.aigw.gateway.store;

import dev.aigw.gateway.conf.EtcdConf;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The etcd v3 store (jetcd), APISIX's key layout: {@code <prefix>/routes/<id>} etc., values the JSON
 * documents, revisions etcd's own.
 *
 * <p>Every request is bounded by {@code deployment.etcd.timeout}. A watch follows the prefix from the
 * requested revision + 1. When it cannot continue exactly (history compacted, stream broken, etcd
 * down) the store reloads everything, delivers a {@link WatchEvent.Reset} and watches again from the
 * reloaded revision. While etcd is unreachable it keeps retrying with exponential backoff (capped at
 * {@value #MAX_BACKOFF_MS} ms) — the data plane keeps its last table meanwhile — and logs the outage
 * once (WARN) and the recovery once (INFO).
 *
 * <p>jetcd runs on its own Vert.x instance (daemon threads), not on the application's: jetcd's
 * {@code Client.close()} closes the Vert.x it runs on, so sharing it would make {@link #close()} stop
 * the whole gateway. The client is built once and never rebuilt; gRPC reconnects by itself.
 */
public final class EtcdStore implements ConfigStore {

    static final long MAX_BACKOFF_MS = 2500;
    private static final long FIRST_BACKOFF_MS = 100;
    private static final Logger LOG = LoggerFactory.getLogger(EtcdStore.class);

    private final Vertx vertx;
    private final EtcdConf conf;
    private final Client client;
    private final String prefix;
    private final ByteSequence dirKey;
    private final Duration timeout;
    private final AtomicBoolean outage = new AtomicBoolean();
    private final Set<WatchSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Builds the client; does not contact etcd yet (the first {@link #load()} does).
     *
     * @param vertx the application's Vert.x: futures and watch events are delivered on its contexts
     */
    public EtcdStore(Vertx vertx, EtcdConf conf) {
        this.vertx = vertx;
        this.conf = conf;
        this.prefix = conf.prefix();
        this.dirKey = bytes(prefix.endsWith("/") ? prefix : prefix + "/");
        this.timeout = conf.timeout();
        ClientBuilder b = Client.builder()
                .endpoints(conf.hosts().toArray(String[]::new))
                .connectTimeout(timeout)
                // notice a silently dead connection (no RST) within seconds, not minutes
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5));
        if (conf.user() != null && conf.password() != null) {
            b.user(bytes(conf.user())).password(bytes(conf.password()));
        }
        this.client = b.build();
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public Future<StoreSnapshot> load() {
        return call(() -> client.getKVClient().get(dirKey, GetOption.builder().isPrefix(true).build()),
                resp -> new StoreSnapshot(resp.getHeader().getRevision(), toMap(resp.getKvs())));
    }

    @Override
    public Future<List<KeyValue>> list(String keyPrefix) {
        return call(() -> client.getKVClient().get(bytes(keyPrefix), GetOption.builder().isPrefix(true).build()),
                resp -> List.copyOf(toMap(resp.getKvs()).values()));
    }

    @Override
    public Future<KeyValue> get(String key) {
        return call(() -> client.getKVClient().get(bytes(key)),
                resp -> resp.getKvs().isEmpty() ? null : toKeyValue(resp.getKvs().get(0)));
    }

    @Override
    public Future<Long> put(String key, String value) {
        return call(() -> client.getKVClient().put(bytes(key), bytes(value)), resp -> resp.getHeader().getRevision());
    }

    @Override
    public Future<Long> deleteRevision(String key) {
        return call(() -> client.getKVClient().delete(bytes(key)),
                resp -> resp.getDeleted() > 0 ? resp.getHeader().getRevision() : -1L);
    }

    @Override
    public void watch(long fromRevision, Handler<WatchEvent> handler) {
        if (closed) {
            throw new IllegalStateException("store closed");
        }
        WatchSession s = new WatchSession(vertx.getOrCreateContext(), handler);
        sessions.add(s);
        s.context.runOnContext(v -> s.start(fromRevision));
    }

    @Override
    public Future<Void> close() {
        if (closed) {
            return Future.succeededFuture();
        }
        closed = true;
        List<Future<Void>> stops = new ArrayList<>();
        for (WatchSession s : sessions) {
            Promise<Void> p = Promise.promise();
            s.context.runOnContext(v -> {
                s.stop();
                p.complete();
            });
            stops.add(p.future());
        }
        // the client (and jetcd's private Vert.x) go last, off the event loop
        return Future.join(stops).transform(ar -> vertx.<Void>executeBlocking(() -> {
            client.close();
            return null;
        }));
    }

    /** Runs one etcd request, bounded by the configured timeout; completes on the caller's context. */
    private <T, R> Future<R> call(Supplier<CompletableFuture<T>> request, Function<T, R> map) {
        if (closed) {
            return Future.failedFuture(new IllegalStateException("store closed"));
        }
        Context ctx = vertx.getOrCreateContext();
        Promise<R> promise = Promise.promise();
        CompletableFuture<T> cf;
        try {
            cf = request.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        cf.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, t) -> ctx.runOnContext(v -> {
            if (t != null) {
                promise.fail(describe(t));
                return;
            }
            try {
                promise.complete(map.apply(r));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        }));
        return promise.future();
    }

    private Throwable describe(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof TimeoutException) {
            return new TimeoutException("etcd request timed out after " + timeout.toSeconds() + "s (" + conf.hosts() + ")");
        }
        return c;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void markOutage(Throwable cause) {
        if (outage.compareAndSet(false, true)) {
            LOG.warn("etcd {} unreachable ({}); serving the last known configuration and retrying",
                    conf.hosts(), unwrap(cause).getMessage());
        }
    }

    private void markRecovered(long revision) {
        if (outage.compareAndSet(true, false)) {
            LOG.info("etcd {} reachable again; configuration reloaded at revision {}", conf.hosts(), revision);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
        return new KeyValue(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8),
                kv.getCreateRevision(), kv.getModRevision());
    }

    private static Map<String, KeyValue> toMap(List<io.etcd.jetcd.KeyValue> kvs) {
        TreeMap<String, KeyValue> out = new TreeMap<>();
        for (io.etcd.jetcd.KeyValue kv : kvs) {
            KeyValue k = toKeyValue(kv);
            out.put(k.key(), k);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * One {@link #watch} call. All its state is touched only on its Vert.x context; jetcd's callbacks
     * (on jetcd's event loop) only hop onto that context. A generation number discards callbacks from
     * a jetcd watcher that was already replaced.
     */
    private final class WatchSession {
        final Context context;
        final Handler<WatchEvent> handler;
        Watch.Watcher watcher;
        int generation;
        int attempt;
        long timer = -1;
        boolean stopped;

        WatchSession(Context context, Handler<WatchEvent> handler) {
            this.context = context;
            this.handler = handler;
        }

        void start(long fromRevision) {
            if (stopped) {
                return;
            }
            int gen = ++generation;
            WatchOption option = WatchOption.builder()
                    .isPrefix(true)
                    .withRevision(fromRevision + 1)
                    // a member that lost quorum ends the stream instead of going silent
                    .withRequireLeader(true)
                    .build();
            watcher = client.getWatchClient().watch(dirKey, option, Watch.listener(
                    resp -> context.runOnContext(v -> onResponse(gen, resp)),
                    err -> context.runOnContext(v -> onError(gen, err)),
                    () -> { }));
        }

        void onResponse(int gen, WatchResponse resp) {
            if (gen != generation || stopped) {
                return;
            }
            for (io.etcd.jetcd.watch.WatchEvent e : resp.getEvents()) {
                io.etcd.jetcd.KeyValue kv = e.getKeyValue();
                WatchEvent ev = switch (e.getEventType()) {
                    case PUT -> new WatchEvent.Put(toKeyValue(kv), kv.getModRevision());
                    case DELETE -> new WatchEvent.Delete(kv.getKey().toString(StandardCharsets.UTF_8), kv.getModRevision());
                    default -> null;
                };
                if (ev != null) {
                    emit(ev);
                }
            }
        }

        void onError(int gen, Throwable err) {
            if (gen != generation || stopped) {
                return;
            }
            generation++; // ignore anything else the broken watcher still reports
            closeWatcher();
            Throwable cause = unwrap(err);
            if (cause instanceof CompactedException c) {
                LOG.info("etcd history compacted up to revision {}; reloading all configuration", c.getCompactedRevision());
            } else {
                markOutage(cause);
            }
            recover();
        }

        /** Reloads everything, delivers a Reset and watches again; retries with backoff while etcd is down. */
        void recover() {
            timer = -1;
            if (stopped) {
                return;
            }
            load().onComplete(ar -> {
                if (stopped) {
                    return;
                }
                if (ar.succeeded()) {
                    StoreSnapshot snap = ar.result();
                    attempt = 0;
                    markRecovered(snap.revision());
                    emit(new WatchEvent.Reset(snap));
                    start(snap.revision());
                } else {
                    markOutage(ar.cause());
                    long delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt, 10));
                    attempt++;
                    LOG.debug("etcd reload failed (attempt {}), next in {} ms: {}", attempt, delay, ar.cause().toString());
                    timer = vertx.setTimer(delay, id -> context.runOnContext(v -> recover()));
                }
            });
        }

        void emit(WatchEvent ev) {
            try {
                handler.handle(ev);
            } catch (RuntimeException ex) {
                LOG.error("etcd watcher failed on revision {}", ev.revision(), ex);
            }
        }

        void stop() {
            stopped = true;
            generation++;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            closeWatcher();
        }

        private void closeWatcher() {
            Watch.Watcher w = watcher;
            watcher = null;
            if (w != null) {
                try {
                    w.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing etcd watcher: {}", e.toString());
                }
            }
        }
    }
}
