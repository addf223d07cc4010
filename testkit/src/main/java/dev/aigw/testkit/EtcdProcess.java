package dev.aigw.testkit;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
public final class EtcdProcess extends ManagedProcess {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path dataDir;
    private final Path log;
    private final int clientPort;
    private final int peerPort;
    private final String binary;

    private EtcdProcess(Path root, int clientPort, int peerPort, String binary) {
        super("etcd", root, StopSignal.TERM, STOP_TIMEOUT, true);
        this.dataDir = root.resolve("data");
        this.log = root.resolve("etcd.log");
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.binary = binary;
    }

    /** Starts etcd and waits (bounded) until it is healthy. */
    public static EtcdProcess start() {
        String binary = findBinary("etcd", "install it with: apt-get install etcd-server");
        Path root = tempDir("aigw-etcd-");
        return startWithRetries(root, () -> {
            EtcdProcess p = new EtcdProcess(root, Ports.free(), Ports.free(), binary);
            try {
                p.launch();
                return p;
            } catch (IllegalStateException e) {
                p.discard();
                deleteTree(p.dataDir);
                throw e;
            }
        });
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

    /** Starts etcd on these ports and this data directory; ready once {@code /health} says healthy. */
    @Override
    protected void launch() {
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
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                .timeout(Duration.ofSeconds(2)).build();
        launch(cmd, null, log, START_TIMEOUT, Duration.ofMillis(50), () -> {
            HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        });
    }
}
