package dev.aigw.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real {@code redis-server} (Debian's package) on a free 127.0.0.1 port in a temporary directory,
 * without persistence, stopped by its PID. {@link #stop()} / {@link #start()} take it away and bring
 * it back on the same port (empty: counters do not survive, as with a restarted cache); {@code stop()} is
 * SIGKILL to its PID, as a crash.
 */
public final class RedisProcess extends ManagedProcess {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final int port;
    private final String binary;

    private RedisProcess(Path root, int port, String binary) {
        // SIGKILL: stop() is a crash, no goodbye to clients
        super("redis-server", root, StopSignal.KILL, STOP_TIMEOUT, true);
        this.root = root;
        this.port = port;
        this.binary = binary;
    }

    /** Starts redis-server and waits (bounded) until it answers PING. */
    public static RedisProcess start() {
        String binary = findBinary("redis-server", "install it with: apt-get install redis-server", "/usr/bin", "/usr/sbin");
        Path root = tempDir("aigw-redis-");
        return startWithRetries(root, () -> {
            RedisProcess p = new RedisProcess(root, Ports.free(), binary);
            try {
                p.launch();
                return p;
            } catch (IllegalStateException e) {
                p.discard();
                throw e;
            }
        });
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
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

    /** Starts redis-server on this port without persistence; ready once it answers PING. */
    @Override
    protected void launch() {
        List<String> cmd = List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", root.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--logfile", root.resolve("redis.log").toString());
        launch(cmd, null, root.resolve("redis.out"), START_TIMEOUT, Duration.ofMillis(50),
                () -> "+PONG".equals(command("PING")));
    }
}
