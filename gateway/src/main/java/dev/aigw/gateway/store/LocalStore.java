package dev.aigw.gateway.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The built-in store (the default {@code config_provider}): every entry in memory, persisted to one
 * JSON file, {@code <prefix>/data/store.json}, together with a revision counter that behaves like
 * etcd's (starts at 0 for an empty store, +1 per change, survives restarts).
 *
 * <p>All work runs on one private writer thread, so changes are applied and written in the order they
 * were submitted and never on an event loop. Changes are group-committed: the writer takes every
 * change queued so far (each with its own revision) and makes the batch durable with one write: an
 * fsynced append to {@code store.json.journal} while that stays small next to the store file,
 * otherwise the whole store is written to a temporary file, fsynced and renamed over the store file
 * (then the directory is fsynced) and the journal emptied. A crash leaves either the old or the new
 * file, never a torn one; a journal line cut short by a crash is dropped on load (its change was
 * never acknowledged). Closing the store folds the journal into the file. {@link #put} and {@link #delete} complete only once their
 * change is durable; if the write fails the batch is rolled back in memory and its futures fail. Futures complete, and
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
    /** The journal may always grow to this size before the store file is written again. */
    static final long JOURNAL_MIN_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(LocalStore.class);
    private static final JsonFactory STORE_JSON = new JsonFactory();

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
    /** Bytes of the last full write of the store file, and of the journal since then. */
    private long snapshotBytes;
    private long journalBytes;
    private RuntimeException loadFailure;
    private boolean closed;

    private record Watcher(Context context, Handler<WatchEvent> handler) {
    }

    /** A put ({@code value} set) or delete ({@code value} null) waiting for the next group commit. */
    private record Change(String key, String value, Context context, Promise<Object> promise) {
    }

    /**
     * Changes submitted but not yet written. Each put/delete also queues a {@link #commitBatch} task;
     * the first of those to run takes every queued change, so a burst of N changes costs one file
     * write, not N (group commit).
     */
    private final ConcurrentLinkedQueue<Change> queued = new ConcurrentLinkedQueue<>();

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
        return enqueue(key, value).map(r -> (Long) r);
    }

    @Override
    public Future<Long> deleteRevision(String key) {
        return enqueue(key, null).map(r -> r == null ? -1L : (Long) r);
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
                if (journalBytes > 0 && loadFailure == null) {
                    // leave one self-contained file behind (tools may edit it while we are stopped)
                    try {
                        persist(revision);
                    } catch (IOException e) {
                        LOG.warn("could not fold the journal into {}: {}", file, e.getMessage());
                    }
                }
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

    private Future<Object> enqueue(String key, String value) {
        Context ctx = vertx.getOrCreateContext();
        Promise<Object> promise = Promise.promise();
        Change change = new Change(key, value, ctx, promise);
        queued.add(change);
        try {
            writer.execute(this::commitBatch);
        } catch (RejectedExecutionException e) {
            queued.remove(change);
            return Future.failedFuture(new IllegalStateException("store closed"));
        }
        return promise.future();
    }

    /**
     * Applies every queued change in submission order, each with its own revision, writes the file
     * once, and only then publishes the events and completes the futures. A failed write rolls the
     * whole batch back and fails every future of the batch.
     */
    private void commitBatch() {
        List<Change> batch = new ArrayList<>();
        for (Change c; (c = queued.poll()) != null; ) {
            batch.add(c);
        }
        if (batch.isEmpty()) {
            return; // an earlier task took these changes
        }
        RuntimeException refused = closed ? new IllegalStateException("store closed") : loadFailure;
        if (refused != null) {
            for (Change c : batch) {
                c.context().runOnContext(v -> c.promise().fail(refused));
            }
            return;
        }
        long rev = revision;
        KeyValue[] olds = new KeyValue[batch.size()];
        Object[] results = new Object[batch.size()];
        List<WatchEvent> events = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Change c = batch.get(i);
            if (c.value() != null) {
                rev++;
                KeyValue old = data.get(c.key());
                KeyValue kv = new KeyValue(c.key(), c.value(), old == null ? rev : old.createRevision(), rev);
                olds[i] = old;
                data.put(c.key(), kv);
                events.add(new WatchEvent.Put(kv, rev));
                results[i] = rev;
            } else {
                KeyValue old = data.remove(c.key());
                olds[i] = old;
                if (old != null) {
                    rev++;
                    events.add(new WatchEvent.Delete(c.key(), rev));
                    results[i] = rev;
                }
            }
        }
        if (!events.isEmpty()) {
            try {
                persistBatch(rev, events);
            } catch (IOException e) {
                for (int i = batch.size() - 1; i >= 0; i--) {
                    restore(batch.get(i).key(), olds[i]);
                }
                IllegalStateException failure =
                        new IllegalStateException("failed to write " + file + ": " + e.getMessage(), e);
                for (Change c : batch) {
                    c.context().runOnContext(v -> c.promise().fail(failure));
                }
                return;
            }
            revision = rev;
            for (WatchEvent e : events) {
                publish(e);
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            Change c = batch.get(i);
            Object r = results[i];
            c.context().runOnContext(v -> c.promise().complete(r));
        }
    }

    private void readFile() {
        // files written by an older version may still be world-readable: they hold provider keys
        ownerOnly(file);
        ownerOnly(journal());
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
            TreeMap<String, KeyValue> read = new TreeMap<>();
            long rev = parseStoreFile(bytes, read);
            data.putAll(read);
            revision = rev;
            snapshotBytes = bytes.length;
            LOG.info("built-in store {} loaded: {} entries, revision {}", file, data.size(), revision);
        } catch (IOException | IllegalStateException e) {
            loadFailure = new IllegalStateException("corrupt store file " + file + " (fix or remove it): "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
            return;
        }
        try {
            replayJournal();
        } catch (IOException e) {
            loadFailure = new IllegalStateException("cannot read store journal " + journal() + ": " + e.getMessage(), e);
        } catch (DecodeException | ClassCastException | NullPointerException | IllegalStateException e) {
            loadFailure = new IllegalStateException("corrupt store journal " + journal() + " (fix or remove it): "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /**
     * Reads {@code {"revision":N,"entries":[{"key","value","create_revision","mod_revision"}…]}}
     * token by token into {@code out} and returns the revision. Streaming keeps a large store from
     * costing a second copy of the file as a string plus a tree of every entry at startup.
     */
    static long parseStoreFile(byte[] bytes, Map<String, KeyValue> out) throws IOException {
        long rev = -1;
        try (JsonParser p = STORE_JSON.createParser(bytes)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("revision".equals(field)) {
                    expect(t == JsonToken.VALUE_NUMBER_INT, "revision is not a number");
                    rev = p.getLongValue();
                } else if ("entries".equals(field)) {
                    expect(t == JsonToken.START_ARRAY, "entries is not an array");
                    int i = 0;
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        KeyValue kv = parseEntry(p);
                        expect(kv != null, "entry " + i + " is incomplete");
                        out.put(kv.key(), kv);
                        i++;
                    }
                    expect(p.currentToken() == JsonToken.END_ARRAY, "entry " + i + " is not an object");
                } else {
                    p.skipChildren();
                }
            }
            expect(p.currentToken() == JsonToken.END_OBJECT, "unexpected content");
        }
        expect(rev >= 0, "no revision");
        for (KeyValue kv : out.values()) {
            expect(kv.modRevision() <= rev, "entry " + kv.key() + " is newer than the store revision");
        }
        return rev;
    }

    private static KeyValue parseEntry(JsonParser p) throws IOException {
        String key = null;
        String value = null;
        long created = -1;
        long modified = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "key" -> key = t == JsonToken.VALUE_STRING ? p.getText() : null;
                case "value" -> value = t == JsonToken.VALUE_STRING ? p.getText() : null;
                case "create_revision" -> created = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                case "mod_revision" -> modified = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                default -> p.skipChildren();
            }
        }
        return key == null || value == null || created < 0 || modified < 0 ? null : new KeyValue(key, value, created, modified);
    }

    private static void expect(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    /**
     * Makes a batch durable: appended to the journal (fsynced) while the journal stays small next
     * to the store file, so a change costs the size of the change, not of the store; otherwise the
     * whole store is written again and the journal emptied. The rewrite happens once the journal
     * has grown to half the store file, which keeps its cost per change constant on average.
     */
    private void persistBatch(long rev, List<WatchEvent> events) throws IOException {
        if (snapshotBytes == 0 || !Files.exists(file)) {
            persist(rev);
            return;
        }
        StringBuilder sb = new StringBuilder(events.size() * 256);
        for (WatchEvent e : events) {
            if (e instanceof WatchEvent.Put p) {
                sb.append("{\"r\":").append(p.revision()).append(",\"k\":").append(Json.encode(p.kv().key()))
                        .append(",\"v\":").append(Json.encode(p.kv().value()))
                        .append(",\"c\":").append(p.kv().createRevision()).append("}\n");
            } else if (e instanceof WatchEvent.Delete d) {
                sb.append("{\"r\":").append(d.revision()).append(",\"k\":").append(Json.encode(d.key()))
                        .append(",\"d\":true}\n");
            }
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (journalBytes + bytes.length > Math.max(JOURNAL_MIN_BYTES, snapshotBytes / 2)) {
            persist(rev);
            return;
        }
        Path journal = journal();
        boolean created = !Files.exists(journal);
        try (FileChannel ch = FileChannel.open(journal, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                ownerOnlyAttrs(journal))) {
            if (ch.size() != journalBytes) {
                ch.truncate(journalBytes); // a failed append left bytes behind
            }
            ch.position(journalBytes);
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
            } catch (IOException e) {
                try {
                    ch.truncate(journalBytes);
                } catch (IOException ignored) {
                    // the next append truncates again; on load an incomplete batch never completed
                }
                throw e;
            }
        }
        if (created) {
            syncDir(journal.getParent());
        }
        journalBytes += bytes.length;
    }

    private Path journal() {
        return file.resolveSibling(file.getFileName() + ".journal");
    }

    /**
     * Owner read/write only (0600) for the store's files, created so from the start (no window in which
     * another user could open them): they hold provider keys. Empty where the file system has no POSIX modes.
     */
    private static FileAttribute<?>[] ownerOnlyAttrs(Path p) {
        return posix(p) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    private static FileAttribute<?>[] ownerOnlyDirAttrs(Path p) {
        Path existing = p;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing != null && posix(existing)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
    }

    private static boolean posix(Path p) {
        Path dir = p.getParent() == null ? p : p.getParent();
        try {
            return Files.getFileStore(Files.exists(p) ? p : dir).supportsFileAttributeView(PosixFileAttributeView.class);
        } catch (IOException e) {
            return false;
        }
    }

    /** Tightens an existing file to 0600 (best effort: a file the process cannot chmod is reported, not fatal). */
    private static void ownerOnly(Path p) {
        try {
            if (Files.exists(p) && posix(p)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                Set<PosixFilePermission> wanted = PosixFilePermissions.fromString("rw-------");
                if (perms.stream().anyMatch(x -> !x.name().startsWith("OWNER_"))) {
                    Files.setPosixFilePermissions(p, wanted);
                    LOG.warn("built-in store file {} was readable by others ({}); now 0600", p, PosixFilePermissions.toString(perms));
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot restrict built-in store file {} to its owner: {}", p, e.toString());
        }
    }

    private static void syncDir(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: not every platform can open a directory
        }
    }

    /**
     * Replays the journal over the store file just read: lines with a revision above the file's.
     * A last line without its newline is a batch whose write never completed (its change was never
     * acknowledged): it is cut off. Any other unreadable line is corruption.
     */
    private void replayJournal() throws IOException {
        Path journal = journal();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(journal);
        } catch (NoSuchFileException e) {
            return;
        }
        int start = 0;
        int applied = 0;
        while (start < bytes.length) {
            int nl = start;
            while (nl < bytes.length && bytes[nl] != '\n') {
                nl++;
            }
            if (nl == bytes.length) {
                LOG.warn("{}: dropping an incomplete last change ({} bytes)", journal, bytes.length - start);
                break;
            }
            JsonObject line = new JsonObject(new String(bytes, start, nl - start, StandardCharsets.UTF_8));
            long r = line.getLong("r");
            String key = line.getString("k");
            if (key == null) {
                throw new IllegalStateException("journal line without key");
            }
            if (r > revision) {
                if (Boolean.TRUE.equals(line.getBoolean("d"))) {
                    data.remove(key);
                } else {
                    String v = line.getString("v");
                    if (v == null) {
                        throw new IllegalStateException("journal line without value");
                    }
                    data.put(key, new KeyValue(key, v, line.getLong("c"), r));
                }
                revision = r;
                applied++;
            }
            start = nl + 1;
        }
        if (start < bytes.length) {
            try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.WRITE)) {
                ch.truncate(start);
                ch.force(false);
            }
        }
        journalBytes = start;
        if (applied > 0) {
            LOG.info("built-in store {}: {} changes replayed from its journal, revision {}", file, applied, revision);
        }
    }

    private void persist(long rev) throws IOException {
        // compact JSON, written straight into one builder: with 10 000 routes the pretty-printed
        // document tree cost more than the write itself
        StringBuilder sb = new StringBuilder(Math.max(1024, data.size() * 256));
        sb.append("{\"revision\":").append(rev).append(",\"entries\":[");
        boolean first = true;
        for (KeyValue kv : data.values()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append("\n{\"key\":").append(Json.encode(kv.key()))
                    .append(",\"value\":").append(Json.encode(kv.value()))
                    .append(",\"create_revision\":").append(kv.createRevision())
                    .append(",\"mod_revision\":").append(kv.modRevision()).append('}');
        }
        sb.append("]}\n");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, ownerOnlyDirAttrs(dir));
        }
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), ownerOnlyAttrs(tmp))) {
            ownerOnly(tmp); // a temporary file left by an older version keeps its mode: tighten it before writing
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
        // make the rename itself durable
        syncDir(dir);
        snapshotBytes = bytes.length;
        if (journalBytes > 0 || Files.exists(journal())) {
            // everything in the journal is in the file now (a crash before this truncation is
            // harmless: replay skips revisions the file already has)
            try (FileChannel ch = FileChannel.open(journal(), StandardOpenOption.WRITE)) {
                ch.truncate(0);
                ch.force(false);
            } catch (NoSuchFileException ignored) {
                // nothing to empty
            }
            journalBytes = 0;
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
