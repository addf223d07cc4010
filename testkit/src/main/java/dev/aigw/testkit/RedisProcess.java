package dev.aigw.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} (Debian's package) on a free 127.0.0.1 port in a temporary directory,
 * without persistence, stopped by its PID. {@link #stop()} / {@link #start()} take it away and bring
 * it back on the same port (empty: counters do not survive, as with a restarted cache).
 */
public final class RedisProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path root;
    private final int port;
    private final Thread shutdownHook;
    private Process process;

    private RedisProcess(Path root, int port) {
        this.root = root;
        this.port = port;
        this.shutdownHook = new Thread(this::kill, "redis-process-cleanup");
    }

    /** Starts redis-server and waits (bounded) until it answers PING. */
    public static RedisProcess start() {
        Path root;
        try {
            root = Files.createTempDirectory("aigw-redis-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            RedisProcess p = new RedisProcess(root, Ports.free());
            Runtime.getRuntime().addShutdownHook(p.shutdownHook);
            try {
                p.launch();
                return p;
            } catch (IllegalStateException e) {
                last = e;
                p.kill();
                p.removeHook();
            }
        }
        deleteTree(root);
        throw last;
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** True while the process runs. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills redis-server (SIGKILL to its PID: as a crash, no goodbye to clients) and waits for the exit. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts it again on the same port (after {@link #stop()}), waits until it answers. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Sends one command (inline protocol) and returns the raw reply line, e.g. {@code ":3"} or {@code "+PONG"}. */
    public String command(String... args) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            StringBuilder cmd = new StringBuilder("*" + args.length + "\r\n");
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                cmd.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        } catch (IOException e) {
            return "-IO " + e.getMessage();
        }
    }

    @Override
    public void close() {
        stop();
        removeHook();
        deleteTree(root);
    }

    private synchronized void launch() {
        List<String> cmd = List.of(findBinary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", root.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--logfile", root.resolve("redis.log").toString());
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("redis.out").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited at start with status " + process.exitValue());
            }
            if ("+PONG".equals(command("PING"))) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for redis", e);
            }
        }
        stop();
        throw new IllegalStateException("redis-server not answering within " + START_TIMEOUT.toSeconds() + " s");
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
            for (String dir : (path + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/usr/sbin").split(File.pathSeparator)) {
                Path p = Path.of(dir, "redis-server");
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        throw new IllegalStateException("redis-server not found; install it with: apt-get install redis-server");
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp dir
        }
    }
}
