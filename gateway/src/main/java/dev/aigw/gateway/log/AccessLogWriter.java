package dev.aigw.gateway.log;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log: {@link #log} formats the line on the event loop (cheap) and offers it to a bounded
 * queue; one dedicated thread drains the queue in batches and appends them to the file.
 *
 * <ul>
 *   <li>The request path never waits: when the queue is full the line is dropped and counted
 *       ({@link #dropped()}); the writer thread reports new drops in the error log at most once a
 *       second.</li>
 *   <li>Rotation: before each batch the writer compares the file key (device + inode) of the path
 *       with the one it has open; when the file was moved or deleted it reopens the path, so
 *       {@code logrotate} without {@code copytruncate} (or a plain {@code mv}) just works.</li>
 *   <li>{@link #close()} writes every queued line, closes the file and stops the thread.</li>
 * </ul>
 *
 * <p>Configuration, as APISIX's {@code nginx_config.http}: {@code enable_access_log} (default true),
 * {@code access_log} (default {@code logs/access.log}, relative to the prefix),
 * {@code access_log_format} and {@code access_log_format_escape} (default {@code default}).
 */
public final class AccessLogWriter implements RequestLogSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessLogWriter.class);

    /** Lines held in memory at most while the writer catches up. */
    public static final int DEFAULT_QUEUE_CAPACITY = 32_768;
    /** APISIX's default {@code nginx_config.http.access_log}. */
    public static final String DEFAULT_PATH = "logs/access.log";

    private static final int MAX_BATCH = 4096;
    private static final long POLL_MILLIS = 200;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long CLOSE_TIMEOUT_MILLIS = 30_000;

    // A unique instance compared by identity: tells the writer thread to finish.
    @SuppressWarnings("StringOperationCanBeSimplified")
    private final String stop = new String("stop");

    private final AccessLogFormat format;
    private final Path path;
    private final BlockingQueue<String> queue;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean closing;

    // Writer-thread state only.
    private FileChannel channel;
    private Object fileKey;
    private long reportedDropped;
    private long reportedFailed;
    private long lastReportNanos = System.nanoTime() - REPORT_INTERVAL_NANOS;
    private long lastIoErrorNanos = System.nanoTime() - REPORT_INTERVAL_NANOS;

    /** Creates a writer whose thread is not started yet; see {@link #start()}. */
    AccessLogWriter(AccessLogFormat format, Path path, int queueCapacity) {
        this.format = Objects.requireNonNull(format, "format");
        this.path = Objects.requireNonNull(path, "path");
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = new Thread(this::run, "aigw-access-log");
        // Daemon so a forgotten close() cannot keep the JVM alive; Bootstrap closes it on SIGTERM.
        this.thread.setDaemon(true);
    }

    /** Starts a writer appending {@code format}ted lines to {@code path}. */
    public static AccessLogWriter start(AccessLogFormat format, Path path, int queueCapacity) {
        AccessLogWriter w = new AccessLogWriter(format, path, queueCapacity);
        w.start();
        return w;
    }

    /**
     * Builds the access log from the merged configuration (config.yaml over the defaults), or returns
     * null when {@code nginx_config.http.enable_access_log} is false. The file is opened by the writer
     * thread (parent directories created), never by the caller.
     *
     * @param prefix the directory that a relative {@code access_log} path is resolved against
     * @throws IllegalArgumentException when the format or the escape mode is invalid
     */
    public static AccessLogWriter create(JsonObject mergedConfig, Path prefix) {
        JsonObject http = object(object(mergedConfig, "nginx_config"), "http");
        if (!bool(http.getValue("enable_access_log"), true)) {
            return null;
        }
        String file = string(http.getValue("access_log"), DEFAULT_PATH);
        String fmt = string(http.getValue("access_log_format"), AccessLogFormat.DEFAULT_FORMAT);
        AccessLogFormat.Escape escape =
                AccessLogFormat.Escape.parse(string(http.getValue("access_log_format_escape"), "default"));
        Path p = Path.of(file);
        if (!p.isAbsolute() && prefix != null) {
            p = prefix.resolve(p);
        }
        checkWritable(p.normalize());
        return start(AccessLogFormat.compile(fmt, escape), p.normalize(), DEFAULT_QUEUE_CAPACITY);
    }

    /**
     * Opens the file once at start (on the starting thread, before any event loop runs), so that a path
     * the gateway cannot write stops the start instead of losing every line later.
     */
    private static void checkWritable(Path path) {
        try {
            Path parent = path.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND).close();
        } catch (IOException e) {
            String reason = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null ? fse.getReason()
                    : String.valueOf(e.getMessage());
            String at = e instanceof java.nio.file.FileSystemException fse && fse.getFile() != null
                    && !fse.getFile().equals(path.toString()) ? " (at " + fse.getFile() + ")" : "";
            throw new IllegalArgumentException("cannot write the access log " + path
                    + " (nginx_config.http.access_log): " + reason + at);
        }
    }

    private static JsonObject object(JsonObject parent, String key) {
        Object v = parent == null ? null : parent.getValue(key);
        return v instanceof JsonObject o ? o : new JsonObject();
    }

    private static boolean bool(Object v, boolean dflt) {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && !s.isBlank()) {
            return !s.trim().equalsIgnoreCase("false") && !s.trim().equalsIgnoreCase("off");
        }
        return dflt;
    }

    private static String string(Object v, String dflt) {
        return v instanceof String s && !s.isEmpty() ? s : dflt;
    }

    void start() {
        thread.start();
    }

    public AccessLogFormat format() {
        return format;
    }

    public Path path() {
        return path;
    }

    /** Lines dropped because the queue was full (or the writer was closed). */
    public long dropped() {
        return dropped.get();
    }

    /** Lines lost because writing the file failed. */
    public long failed() {
        return failed.get();
    }

    /** Lines written to the file so far. */
    public long written() {
        return written.get();
    }

    /** Formats the finished request and queues the line. Never blocks. */
    @Override
    public void log(RequestContext ctx) {
        if (closing) {
            dropped.incrementAndGet();
            return;
        }
        enqueue(format.format(ctx));
    }

    /** Queues one already formatted line (without its line break); false (and counted) if dropped. */
    public boolean enqueue(String line) {
        if (closing || !queue.offer(line)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Writes every queued line, closes the file and stops the writer thread (waiting at most 30 s).
     * Idempotent. Lines logged after (or racing with) close are dropped.
     */
    @Override
    public void close() {
        closing = true;
        // If the queue is full the thread still stops: it sees `closing` once the queue runs dry.
        queue.offer(stop);
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        try {
            thread.join(CLOSE_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("access log writer did not finish within {} ms; {} lines still queued",
                    CLOSE_TIMEOUT_MILLIS, queue.size());
        }
    }

    // ---------------------------------------------------------------- writer thread

    private void run() {
        List<String> batch = new ArrayList<>(MAX_BATCH);
        try {
            boolean stopSeen = false;
            while (true) {
                String first;
                try {
                    first = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    // Nobody should interrupt us; finish what is queued and stop.
                    closing = true;
                    first = queue.poll();
                }
                if (first != null) {
                    if (first != stop && !closing) {
                        // linger a moment so the lines of the next requests join this batch: without it
                        // every request costs a thread wake-up and a write(2) of one line, on the very
                        // core that serves the requests
                        LockSupport.parkNanos(LINGER_NANOS);
                    }
                    batch.add(first);
                    queue.drainTo(batch, MAX_BATCH - 1);
                    if (batch.remove(stop)) {
                        stopSeen = true;
                    }
                    if (!batch.isEmpty()) {
                        writeBatch(batch);
                    }
                    batch.clear();
                }
                reportDrops(false);
                if ((stopSeen || closing) && queue.isEmpty()) {
                    break;
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("access log writer stopped unexpectedly", e);
        } finally {
            closeChannel();
            reportDrops(true);
        }
    }

    private void writeBatch(List<String> lines) {
        StringBuilder sb = new StringBuilder(lines.size() * 256);
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        try {
            ensureOpen();
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            written.addAndGet(lines.size());
        } catch (IOException | RuntimeException e) {
            failed.addAndGet(lines.size());
            closeChannel(); // reopen on the next batch
            long now = System.nanoTime();
            if (now - lastIoErrorNanos >= REPORT_INTERVAL_NANOS) {
                lastIoErrorNanos = now;
                LOG.error("cannot write access log {}: {}", path, e.toString());
            }
        }
    }

    /** Opens the path, or reopens it when the open file is no longer the one at the path (rotation). */
    private void ensureOpen() throws IOException {
        if (channel != null) {
            boolean same;
            try {
                Object current = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
                // Without file keys (rare file systems) rotation cannot be seen, only deletion.
                same = fileKey == null || fileKey.equals(current);
            } catch (NoSuchFileException e) {
                same = false; // deleted or moved away: create a new file
            }
            if (same) {
                return;
            }
            LOG.info("access log {} was moved or deleted, reopening", path);
            closeChannel();
        }
        Path parent = path.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing access log {}: {}", path, e.toString());
            }
            channel = null;
            fileKey = null;
        }
    }

    private void reportDrops(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastReportNanos < REPORT_INTERVAL_NANOS) {
            return;
        }
        long d = dropped.get();
        long f = failed.get();
        if (d > reportedDropped) {
            LOG.error("access log queue full: dropped {} lines since the last report ({} in total)",
                    d - reportedDropped, d);
            reportedDropped = d;
            lastReportNanos = now;
        }
        if (f > reportedFailed) {
            LOG.error("access log: {} lines lost to write errors ({} in total)", f - reportedFailed, f);
            reportedFailed = f;
            lastReportNanos = now;
        }
    }
}
