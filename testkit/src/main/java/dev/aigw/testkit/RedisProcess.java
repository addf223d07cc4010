package dev.aigw.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code redis-server} (Debian's package) on a free 127.0.0.1 port in a temporary directory,
 * without persistence, stopped by its PID. {@link #stop()} / {@link #start()} take it away and bring
 * it back on the same port (empty: counters do not survive, as with a restarted cache); {@code stop()} is
 * SIGKILL to its PID, as a crash.
 * {@link #start(String...)} adds options (a cluster node, a replica) and {@link #startSentinel(String)}
 * runs the same binary as a Sentinel; {@link RedisCluster} and {@link RedisSentinel} compose them.
 */
public final class RedisProcess extends ManagedProcess {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final int port;
    private final String binary;
    /** A config file in {@link #root} given before the options (a Sentinel needs one it can rewrite), or null. */
    private final Path configFile;
    private final List<String> extraArgs;
    /** {@code requirepass}: sent with AUTH before each of the test's own commands; null without. */
    private final String password;

    private RedisProcess(Path root, int port, String binary, Path configFile, List<String> extraArgs, String password) {
        // SIGKILL: stop() is a crash, no goodbye to clients
        super("redis-server", root, StopSignal.KILL, STOP_TIMEOUT, true);
        this.root = root;
        this.port = port;
        this.binary = binary;
        this.configFile = configFile;
        this.extraArgs = extraArgs;
        this.password = password;
    }

    /** Starts redis-server and waits (bounded) until it answers PING. */
    public static RedisProcess start() {
        return start(new String[0]);
    }

    /**
     * Starts redis-server with more options after the standard ones (e.g. {@code "--cluster-enabled",
     * "yes"} or {@code "--replicaof", "127.0.0.1", "6379"}) and waits (bounded) until it answers PING.
     */
    public static RedisProcess start(String... extraArgs) {
        return start(null, List.of(extraArgs), null);
    }

    /** As {@link #start(String...)} with {@code --requirepass password}; the test's own commands authenticate. */
    public static RedisProcess startWithPassword(String password, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--requirepass", password));
        args.addAll(List.of(extraArgs));
        return start(null, args, password);
    }

    /**
     * Starts the same binary as a Sentinel ({@code redis-server sentinel.conf --sentinel}) with
     * {@code sentinelConf} (its {@code sentinel monitor ...} lines; port, bind and dir are added) written
     * to a file in its temporary directory, which Sentinel rewrites as it learns; waits until it answers PING.
     */
    public static RedisProcess startSentinel(String sentinelConf) {
        return startSentinel(sentinelConf, null);
    }

    /** As {@link #startSentinel(String)}, the Sentinel itself protected by {@code password} (null: none). */
    public static RedisProcess startSentinel(String sentinelConf, String password) {
        return start(password == null ? sentinelConf : sentinelConf + "\nrequirepass " + password + "\n",
                List.of("--sentinel"), password);
    }

    private static RedisProcess start(String conf, List<String> extraArgs, String password) {
        String binary = findBinary("redis-server", "install it with: apt-get install redis-server", "/usr/bin", "/usr/sbin");
        Path root = tempDir("aigw-redis-");
        Path configFile;
        try {
            configFile = conf == null ? null : Files.writeString(root.resolve("sentinel.conf"), conf);
        } catch (IOException e) {
            deleteTree(root);
            throw new IllegalStateException("cannot write the Sentinel configuration", e);
        }
        return startWithRetries(root, () -> {
            RedisProcess p = new RedisProcess(root, Ports.free(), binary, configFile, extraArgs, password);
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

    /** Sends one command and returns the raw first reply line, e.g. {@code ":3"}, {@code "+PONG"} or {@code "*2"}. */
    public String command(String... args) {
        return send(false, args);
    }

    /**
     * Sends one command and returns the whole reply as text: a status, error or integer line as
     * {@link #command} does, a bulk string's content ({@code CLUSTER INFO}'s lines), an array's
     * elements one per line (nested arrays flattened, a null as an empty line).
     */
    public String query(String... args) {
        return send(true, args);
    }

    private String send(boolean whole, String... args) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            if (password != null) {
                out.write(resp("AUTH", password));
                out.flush();
                String ok = line(in);
                if (!"+OK".equals(ok)) {
                    return ok;
                }
            }
            out.write(resp(args));
            out.flush();
            if (!whole) {
                return line(in);
            }
            StringBuilder reply = new StringBuilder();
            readReply(in, reply);
            return reply.toString().strip();
        } catch (IOException e) {
            return "-IO " + e.getMessage();
        }
    }

    private static byte[] resp(String... args) {
        StringBuilder cmd = new StringBuilder("*" + args.length + "\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            cmd.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        return cmd.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void readReply(InputStream in, StringBuilder out) throws IOException {
        String head = line(in);
        if (head.isEmpty()) {
            throw new IOException("connection closed");
        }
        switch (head.charAt(0)) {
            case '$' -> {
                int n = Integer.parseInt(head.substring(1));
                if (n >= 0) {
                    out.append(new String(in.readNBytes(n), StandardCharsets.UTF_8));
                    line(in);
                }
                out.append('\n');
            }
            case '*' -> {
                int n = Integer.parseInt(head.substring(1));
                for (int i = 0; i < n; i++) {
                    readReply(in, out);
                }
            }
            default -> out.append(head).append('\n');
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /** Starts redis-server on this port without persistence; ready once it answers PING. */
    @Override
    protected void launch() {
        List<String> cmd = new ArrayList<>(List.of(binary));
        if (configFile != null) {
            cmd.add(configFile.toString());
        }
        cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", root.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--logfile", root.resolve("redis.log").toString()));
        cmd.addAll(extraArgs);
        launch(cmd, null, root.resolve("redis.out"), START_TIMEOUT, Duration.ofMillis(50),
                () -> "+PONG".equals(command("PING")));
    }
}
