package dev.aigw.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The base of a server process a test starts and owns ({@link RedisProcess}, {@link EtcdProcess},
 * {@link PostgresProcess}, {@link KafkaBroker}), in a temporary directory of its own: launched with
 * its output appended to a log file, ready once a probe says so within a bounded wait, stopped by its
 * PID only (a signal, a bounded wait, then SIGKILL), never by name; {@link #restart()} brings it back
 * on the same ports and data, {@link #close()} stops it and deletes the directory. Optionally a JVM
 * shutdown hook kills it so an aborted run leaves nothing behind. The static helpers cover what these
 * servers share around the process: a temporary directory, its removal, a binary on PATH, a bounded
 * one-shot command and a log tail.
 */
public abstract class ManagedProcess implements AutoCloseable {

    /** How {@link #stop()} asks the process to end before the bounded wait and SIGKILL. */
    public enum StopSignal {
        /** SIGTERM: a clean shutdown. */
        TERM,
        /** SIGINT (PostgreSQL's "fast" shutdown), sent with {@code kill -INT <pid>}. */
        INT,
        /** SIGKILL at once: a crash, no goodbye to clients. */
        KILL
    }

    /** Says whether the launched process serves yet; an exception means "not yet". */
    @FunctionalInterface
    public interface Probe {
        boolean ready() throws IOException, InterruptedException;
    }

    private final String name;
    private final Path root;
    private final StopSignal signal;
    private final Duration stopTimeout;
    private final Thread shutdownHook;
    private Process process;

    /**
     * @param name         the server's name in error messages
     * @param root         its temporary directory, deleted by {@link #close()}
     * @param signal       how {@link #stop()} asks it to end
     * @param stopTimeout  how long to wait after the signal (and again after SIGKILL)
     * @param shutdownHook whether a JVM shutdown hook kills it (removed by {@link #close()})
     */
    protected ManagedProcess(String name, Path root, StopSignal signal, Duration stopTimeout, boolean shutdownHook) {
        this.name = name;
        this.root = root;
        this.signal = signal;
        this.stopTimeout = stopTimeout;
        this.shutdownHook = shutdownHook ? new Thread(this::kill, name + "-process-cleanup") : null;
        if (this.shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(this.shutdownHook);
        }
    }

    /** Starts the server (its command, log and readiness probe) with {@link #launch(List, Path, Path, Duration, Duration, Probe)}. */
    protected abstract void launch();

    /**
     * Starts {@code cmd} (stdout and stderr appended to {@code log}) and polls {@code probe} every
     * {@code poll} until it answers true. A process that exits first, a probe that does not answer
     * within {@code startTimeout}, or an interrupt stops the process and throws
     * {@link IllegalStateException} with the log's tail.
     */
    protected final synchronized void launch(List<String> cmd, Path workDir, Path log, Duration startTimeout, Duration poll,
                                    Probe probe) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    int status = process.exitValue();
                    process = null;
                    throw new IllegalStateException(name + " exited with status " + status + " at start:\n"
                            + tail(log));
                }
                boolean ready;
                try {
                    ready = probe.ready();
                } catch (IOException e) {
                    ready = false; // not listening yet
                }
                if (ready) {
                    return;
                }
                Thread.sleep(poll.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        stop();
        throw new IllegalStateException(name + " not ready within " + startTimeout.toSeconds() + " s:\n" + tail(log));
    }

    /** True while the process runs. */
    public final synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The running process's PID, or -1. */
    public final synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Sends the stop signal to the PID, waits (bounded), then SIGKILL and waits again. No-op when not running. */
    public final synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        try {
            switch (signal) {
                case TERM -> p.destroy();
                case INT -> new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start()
                        .waitFor(5, TimeUnit.SECONDS);
                case KILL -> p.destroyForcibly();
            }
            if (!p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (IOException e) {
            p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Starts it again on the same ports and data (after {@link #stop()}), waits until it is ready. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Stops the process, removes the shutdown hook and deletes the temporary directory. */
    @Override
    public void close() {
        discard();
        deleteTree(root);
    }

    /** Stops the process and removes the shutdown hook, keeping the directory (a failed start to retry). */
    protected void discard() {
        stop();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    /** SIGKILL without waiting: the shutdown hook's last word. */
    private synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ shared helpers

    /** A new temporary directory named {@code <prefix><random>}. */
    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new temporary file named {@code <prefix><random><suffix>}. */
    public static Path tempFile(String prefix, String suffix) {
        try {
            return Files.createTempFile(prefix, suffix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code start} up to three times: a port picked as free may be taken by someone else before
     * the server binds it. Each failed attempt cleans up after itself; when all fail, {@code root} is
     * deleted and the last failure thrown.
     */
    public static <T> T startWithRetries(Path root, Supplier<T> start) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return start.get();
            } catch (IllegalStateException e) {
                last = e;
            }
        }
        deleteTree(root);
        throw last;
    }

    /** The executable {@code binary} in a PATH directory (then in {@code extraDirs}), or an error naming {@code hint}. */
    public static String findBinary(String binary, String hint, String... extraDirs) {
        String path = System.getenv("PATH");
        StringBuilder dirs = new StringBuilder(path == null ? "" : path);
        for (String d : extraDirs) {
            dirs.append(File.pathSeparator).append(d);
        }
        for (String dir : dirs.toString().split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, binary);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException(binary + " not found on PATH; " + hint);
    }

    /**
     * Runs a one-shot command (initdb, a storage format) in {@code dir} with its output in {@code out},
     * bounded by {@code timeout}; a non-zero exit throws with that output.
     */
    public static void run(List<String> cmd, Path dir, Path out, Duration timeout) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The last 20 lines of a log, for error messages. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Deletes a directory tree, best effort (a temp dir). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp dir
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
