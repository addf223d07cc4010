package dev.aigw.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, single-member etcd for tests: the {@code etcd} binary on PATH (Debian: {@code apt-get
 * install etcd-server}, 3.4) on free 127.0.0.1 client and peer ports, with a temporary data
 * directory. {@link #start()} returns once {@code /health} says healthy.
 *
 * <pre>{@code
 * try (EtcdProcess etcd = EtcdProcess.start()) {
 *     String url = etcd.endpoint();   // http://127.0.0.1:<port>
 *     etcd.stop(); etcd.restart();    // an outage: same ports, same data
 * }
 * }</pre>
 *
 * The process is stopped by its PID (SIGTERM, then SIGKILL after a bounded wait), and also by a JVM
 * shutdown hook so an aborted test run leaves nothing behind. etcd's own log goes to
 * {@link #logFile()}.
 */
public final class EtcdProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final Path dataDir;
    private final Path log;
    private final int clientPort;
    private final int peerPort;
    private final Thread shutdownHook;
    private Process process;

    private EtcdProcess(Path root, int clientPort, int peerPort) {
        this.root = root;
        this.dataDir = root.resolve("data");
        this.log = root.resolve("etcd.log");
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.shutdownHook = new Thread(this::kill, "etcd-process-cleanup");
    }

    /** Starts etcd and waits (bounded) until it is healthy. */
    public static EtcdProcess start() {
        String binary = findBinary();
        Path root;
        try {
            root = Files.createTempDirectory("aigw-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        IllegalStateException last = null;
        // a port picked as free may be taken by someone else before etcd binds it: try again
        for (int attempt = 0; attempt < 3; attempt++) {
            EtcdProcess p = new EtcdProcess(root, Ports.free(), Ports.free());
            Runtime.getRuntime().addShutdownHook(p.shutdownHook);
            try {
                p.launch(binary);
                return p;
            } catch (IllegalStateException e) {
                last = e;
                p.kill();
                p.removeHook();
                deleteTree(p.dataDir);
            }
        }
        deleteTree(root);
        throw last;
    }

    /** The client URL, {@code http://127.0.0.1:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    public int clientPort() {
        return clientPort;
    }

    /** etcd's log (stdout and stderr), useful in assertion messages. */
    public Path logFile() {
        return log;
    }

    /** True while the process runs. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops etcd: SIGTERM to its PID, a bounded wait, then SIGKILL. The data directory stays. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroy();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Starts etcd again on the same ports and data directory (after {@link #stop()}), waits until healthy. */
    public synchronized void restart() {
        stop();
        launch(findBinary());
    }

    /** Stops etcd and deletes its temporary directory. */
    @Override
    public void close() {
        stop();
        removeHook();
        deleteTree(root);
    }

    private synchronized void launch(String binary) {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> cmd = List.of(binary,
                "--name", "aigw-test",
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "aigw-test=" + peer,
                "--initial-cluster-state", "new",
                "--logger=zap",
                "--log-outputs=stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        awaitHealthy();
    }

    private void awaitHealthy() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(endpoint() + "/health")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with status " + process.exitValue() + " at start:\n" + tail());
            }
            try {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd", e);
            }
        }
        stop();
        throw new IllegalStateException("etcd not healthy within " + START_TIMEOUT.toSeconds() + "s:\n" + tail());
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private static String findBinary() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, "etcd");
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        throw new IllegalStateException("etcd binary not found on PATH; install it with: apt-get install etcd-server");
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
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
        } catch (IOException ignored) {
            // best effort
        }
    }
}
