package dev.aigw.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The built-in store (the default {@code config_provider}): every entry in memory, persisted to one
 * JSON file, {@code <prefix>/data/store.json}, together with a revision counter that behaves like
 * etcd's (starts at 0 for an empty store, +1 per change, survives restarts).
 *
 * <p>All work runs on one private writer thread, so changes are applied and written in the order they
 * were submitted and never on an event loop. A change is written to a temporary file, fsynced and
 * renamed over the store file (then the directory is fsynced): a crash leaves either the old or the
 * new file, never a torn one. {@link #put} and {@link #delete} complete only once the file is durable;
 * if the write fails the change is rolled back in memory and the future fails. Futures complete, and
 * watch events are delivered, on the Vert.x context of the caller ({@code vertx.getOrCreateContext()}).
 *
 * <p>The last {@value #DEFAULT_HISTORY} changes are kept in memory so a watcher can resume from a
 * recent revision; a watch from an older revision (or any revision before a restart) gets a
 * {@link WatchEvent.Reset}.
 *
 * <p>A store file that cannot be parsed fails every operation (and so the gateway's start) with a
 * message naming the file; it is never overwritten.
 */
public final class LocalStore implements ConfigStore {

    /** The store file, relative to the installation prefix. */
    public static final String FILE = "data/store.json";
    static final int DEFAULT_HISTORY = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(LocalStore.class);

    private final Vertx vertx;
    private final Path file;
    private final String prefix;
    private final String prefixDir;
    private final int historyLimit;
    private final ExecutorService writer;

    // Everything below is touched only on the writer thread.
    private final TreeMap<String, KeyValue> data = new TreeMap<>();
    private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
    private final List<Watcher> watchers = new ArrayList<>();
    private long revision;
    private RuntimeException loadFailure;
    private boolean closed;

    private record Watcher(Context context, Handler<WatchEvent> handler) {
    }

    /**
     * Opens (or will create) {@code <installPrefix>/data/store.json}. The file is read on the writer
     * thread; a corrupt file fails the first operation, typically {@link #load()} at start.
     *
     * @param keyPrefix the key prefix ({@code /apisix}), as {@code deployment.etcd.prefix}
     */
    public LocalStore(Vertx vertx, Path installPrefix, String keyPrefix) {
        this(vertx, installPrefix.resolve(FILE), keyPrefix, DEFAULT_HISTORY);
    }

    LocalStore(Vertx vertx, Path file, String keyPrefix, int historyLimit) {
        this.vertx = vertx;
        this.file = file.toAbsolutePath().normalize();
        this.prefix = keyPrefix;
        this.prefixDir = keyPrefix.endsWith("/") ? keyPrefix : keyPrefix + "/";
        this.historyLimit = historyLimit;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "aigw-store-writer");
            t.setDaemon(true);
            return t;
        });
        writer.execute(this::readFile);
    }

    /** The file this store persists to. */
    public Path file() {
        return file;
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public Future<StoreSnapshot> load() {
        return submit(() -> new StoreSnapshot(revision, entriesUnder(prefixDir)));
    }

    @Override
    public Future<List<KeyValue>> list(String keyPrefix) {
        return submit(() -> List.copyOf(entriesUnder(keyPrefix).values()));
    }

    @Override
    public Future<KeyValue> get(String key) {
        return submit(() -> data.get(key));
    }

    @Override
    public Future<Long> put(String key, String value) {
        return submit(() -> {
            long rev = revision + 1;
            KeyValue old = data.get(key);
            KeyValue kv = new KeyValue(key, value, old == null ? rev : old.createRevision(), rev);
            data.put(key, kv);
            try {
                persist(rev);
            } catch (IOException e) {
                restore(key, old);
                throw new IllegalStateException("failed to write " + file + ": " + e.getMessage(), e);
            }
            revision = rev;
            publish(new WatchEvent.Put(kv, rev));
            return rev;
        });
    }

    @Override
    public Future<Boolean> delete(String key) {
        return submit(() -> {
            KeyValue old = data.remove(key);
            if (old == null) {
                return false;
            }
            long rev = revision + 1;
            try {
                persist(rev);
            } catch (IOException e) {
                restore(key, old);
                throw new IllegalStateException("failed to write " + file + ": " + e.getMessage(), e);
            }
            revision = rev;
            publish(new WatchEvent.Delete(key, rev));
            return true;
        });
    }

    @Override
    public void watch(long fromRevision, Handler<WatchEvent> handler) {
        Context ctx = vertx.getOrCreateContext();
        submit(() -> {
            Watcher w = new Watcher(ctx, handler);
            WatchEvent first = history.peekFirst();
            boolean exact = fromRevision == revision
                    || (fromRevision < revision && first != null && first.revision() <= fromRevision + 1);
            if (exact) {
                for (WatchEvent e : history) {
                    if (e.revision() > fromRevision && concerns(e)) {
                        deliver(w, e);
                    }
                }
            } else {
                // history is gone (older than what we keep, or from before a restart), or the
                // watcher is ahead of us (the file was replaced): hand over everything
                deliver(w, new WatchEvent.Reset(new StoreSnapshot(revision, entriesUnder(prefixDir))));
            }
            watchers.add(w);
            return null;
        }).onFailure(e -> LOG.error("cannot watch {}: {}", file, e.getMessage()));
    }

    @Override
    public Future<Void> close() {
        Context ctx = vertx.getOrCreateContext();
        Promise<Void> done = Promise.promise();
        try {
            writer.execute(() -> {
                closed = true;
                watchers.clear();
                ctx.runOnContext(v -> done.complete());
            });
            writer.shutdown();
        } catch (RejectedExecutionException e) {
            done.complete(); // already closed
        }
        return done.future();
    }

    // ---------------------------------------------------------------- writer thread

    /** Runs {@code task} on the writer thread, after the file is loaded; completes on the caller's context. */
    private <T> Future<T> submit(Callable<T> task) {
        Context ctx = vertx.getOrCreateContext();
        Promise<T> promise = Promise.promise();
        try {
            writer.execute(() -> {
                T result;
                try {
                    if (closed) {
                        throw new IllegalStateException("store closed");
                    }
                    if (loadFailure != null) {
                        throw loadFailure;
                    }
                    result = task.call();
                } catch (Throwable t) {
                    ctx.runOnContext(v -> promise.fail(t));
                    return;
                }
                ctx.runOnContext(v -> promise.complete(result));
            });
        } catch (RejectedExecutionException e) {
            return Future.failedFuture(new IllegalStateException("store closed"));
        }
        return promise.future();
    }

    private void readFile() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            LOG.info("built-in store {} does not exist yet; starting empty", file);
            return;
        } catch (IOException e) {
            loadFailure = new IllegalStateException("cannot read store file " + file + ": " + e.getMessage(), e);
            return;
        }
        try {
            JsonObject doc = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
            long rev = doc.getLong("revision");
            JsonArray entries = doc.getJsonArray("entries");
            TreeMap<String, KeyValue> read = new TreeMap<>();
            for (int i = 0; i < entries.size(); i++) {
                JsonObject e = entries.getJsonObject(i);
                KeyValue kv = new KeyValue(e.getString("key"), e.getString("value"),
                        e.getLong("create_revision"), e.getLong("mod_revision"));
                if (kv.key() == null || kv.value() == null || kv.modRevision() > rev) {
                    throw new IllegalStateException("entry " + i + " is incomplete or newer than the store revision");
                }
                read.put(kv.key(), kv);
            }
            data.putAll(read);
            revision = rev;
            LOG.info("built-in store {} loaded: {} entries, revision {}", file, data.size(), revision);
        } catch (DecodeException | ClassCastException | NullPointerException | IllegalStateException e) {
            loadFailure = new IllegalStateException("corrupt store file " + file + " (fix or remove it): "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    private void persist(long rev) throws IOException {
        JsonArray entries = new JsonArray();
        for (KeyValue kv : data.values()) {
            entries.add(new JsonObject()
                    .put("key", kv.key())
                    .put("value", kv.value())
                    .put("create_revision", kv.createRevision())
                    .put("mod_revision", kv.modRevision()));
        }
        byte[] bytes = new JsonObject().put("revision", rev).put("entries", entries).encodePrettily()
                .getBytes(StandardCharsets.UTF_8);
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        // make the rename itself durable; not every platform can open a directory, which is harmless
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    private void restore(String key, KeyValue old) {
        if (old == null) {
            data.remove(key);
        } else {
            data.put(key, old);
        }
    }

    private void publish(WatchEvent e) {
        history.addLast(e);
        while (history.size() > historyLimit) {
            history.removeFirst();
        }
        if (concerns(e)) {
            for (Watcher w : watchers) {
                deliver(w, e);
            }
        }
    }

    private boolean concerns(WatchEvent e) {
        if (e instanceof WatchEvent.Put p) {
            return p.kv().key().startsWith(prefixDir);
        }
        if (e instanceof WatchEvent.Delete d) {
            return d.key().startsWith(prefixDir);
        }
        return true;
    }

    private void deliver(Watcher w, WatchEvent e) {
        // runOnContext keeps submission order, so each watcher sees events in revision order
        w.context().runOnContext(v -> {
            try {
                w.handler().handle(e);
            } catch (RuntimeException ex) {
                LOG.error("store watcher failed on revision {}", e.revision(), ex);
            }
        });
    }

    private Map<String, KeyValue> entriesUnder(String keyPrefix) {
        TreeMap<String, KeyValue> out = new TreeMap<>();
        for (Map.Entry<String, KeyValue> e : data.tailMap(keyPrefix, true).entrySet()) {
            if (!e.getKey().startsWith(keyPrefix)) {
                break;
            }
            out.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }
}
