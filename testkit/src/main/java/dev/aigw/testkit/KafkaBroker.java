package dev.aigw.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) for tests, running in
 * its <em>own JVM</em> ({@code kafka.Kafka}) on free loopback ports.
 *
 * <p>The broker's class path is {@code testkit/target/kafka-broker-libs}, filled at build time by the
 * testkit's {@code maven-dependency-plugin} executions from {@code org.apache.kafka:kafka_2.13} (a
 * {@code provided} dependency, so scala, the server modules and their libraries never reach another
 * module's class path). Override the directory with the system property {@value #LIBS_PROPERTY}.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start()) {
 *     String bootstrap = kafka.bootstrap();   // "127.0.0.1:<port>"
 *     kafka.stop();                           // outage; data kept
 *     kafka.restart();                        // same ports, same data
 * }
 * }</pre>
 *
 * <p>Every wait is bounded; the process is stopped by its PID (SIGTERM, then SIGKILL).
 */
public final class KafkaBroker extends ManagedProcess {

    /** System property naming the directory that holds the broker's jars. */
    public static final String LIBS_PROPERTY = "aigw.kafka.libs";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final String READY_LINE = "Kafka Server started";

    private final Path dir;
    private final Path libs;
    private final int port;
    private final int controllerPort;
    private final int internalPort;
    private final String saslUser;
    private final String saslPassword;
    private int starts;

    private KafkaBroker(Path dir, Path libs, int port, int controllerPort, int internalPort,
                        String saslUser, String saslPassword) {
        super("Kafka broker", dir, StopSignal.TERM, STOP_TIMEOUT, false);
        this.dir = dir;
        this.libs = libs;
        this.port = port;
        this.controllerPort = controllerPort;
        this.internalPort = internalPort;
        this.saslUser = saslUser;
        this.saslPassword = saslPassword;
    }

    /** Formats a fresh storage directory and starts a PLAINTEXT broker; returns once it serves. */
    public static KafkaBroker start() {
        return create(null, null);
    }

    /**
     * Starts a broker whose client listener ({@link #bootstrap()}) requires SASL/PLAIN with the given
     * user and password (security protocol {@code SASL_PLAINTEXT}). The broker itself uses a separate
     * PLAINTEXT listener internally.
     */
    public static KafkaBroker startWithSaslPlain(String user, String password) {
        return create(user, password);
    }

    private static KafkaBroker create(String user, String password) {
        Path libs = locateLibs();
        Path dir = tempDir("aigw-kafka-");
        int port = Ports.free();
        int cport = distinctFreePort(port);
        int iport = user == null ? -1 : distinctFreePort(port, cport);
        KafkaBroker broker = new KafkaBroker(dir, libs, port, cport, iport, user, password);
        try {
            broker.writeProperties();
            broker.format();
            broker.launch();
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    private static int distinctFreePort(int... taken) {
        for (int i = 0; i < 20; i++) {
            int p = Ports.free();
            boolean clash = false;
            for (int t : taken) {
                clash |= t == p;
            }
            if (!clash) {
                return p;
            }
        }
        throw new IllegalStateException("no free port");
    }

    /** {@code 127.0.0.1:<port>} of the client listener (SASL when started with SASL/PLAIN). */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /**
     * Runs a broker until this JVM is told to stop (SIGTERM: the shutdown hook stops the broker by
     * its PID and deletes its data): for bench/run.sh's kafka-logger row. Prints one line,
     * {@code KAFKA bootstrap=127.0.0.1:<port> pid=<broker pid>}, once the broker serves.
     */
    public static void main(String[] args) throws InterruptedException {
        KafkaBroker broker = start();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-stop"));
        System.out.println("KAFKA bootstrap=" + broker.bootstrap() + " pid=" + broker.pid());
        System.out.flush();
        while (broker.isRunning()) {
            Thread.sleep(1000);
        }
        System.out.println("KAFKA broker exited; see " + broker.logFile());
    }

    /** The broker's own log (stdout and stderr), for diagnosing a failed test. */
    public Path logFile() {
        return dir.resolve("broker-" + starts + ".log");
    }

    // ------------------------------------------------------------------ internals

    private static Path locateLibs() {
        String override = System.getProperty(LIBS_PROPERTY);
        if (override != null) {
            return checkLibs(Paths.get(override));
        }
        try {
            // target/classes (reactor build) or target/aigw-testkit-*.jar: the libs sit next to it
            Path here = Paths.get(KafkaBroker.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return checkLibs(here.getParent().resolve("kafka-broker-libs"));
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the Kafka broker jars; set -D" + LIBS_PROPERTY, e);
        }
    }

    private static Path checkLibs(Path p) {
        if (!hasKafkaJar(p)) {
            throw new IllegalStateException("no Kafka broker jars in " + p
                    + " (build the testkit module: its generate-resources phase copies them)");
        }
        return p;
    }

    private static boolean hasKafkaJar(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.anyMatch(f -> f.getFileName().toString().startsWith("kafka_2.13-"));
        } catch (IOException e) {
            return false;
        }
    }

    private void writeProperties() {
        StringBuilder sb = new StringBuilder();
        sb.append("process.roles=broker,controller\n");
        sb.append("node.id=1\n");
        sb.append("controller.quorum.voters=1@127.0.0.1:").append(controllerPort).append('\n');
        sb.append("controller.listener.names=CONTROLLER\n");
        if (saslUser == null) {
            sb.append("listeners=PLAINTEXT://127.0.0.1:").append(port)
                    .append(",CONTROLLER://127.0.0.1:").append(controllerPort).append('\n');
            sb.append("advertised.listeners=PLAINTEXT://127.0.0.1:").append(port).append('\n');
            sb.append("listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n");
        } else {
            // clients on the SASL listener; the broker talks to itself on a plain internal one
            sb.append("listeners=SASL_PLAINTEXT://127.0.0.1:").append(port)
                    .append(",INTERNAL://127.0.0.1:").append(internalPort)
                    .append(",CONTROLLER://127.0.0.1:").append(controllerPort).append('\n');
            sb.append("advertised.listeners=SASL_PLAINTEXT://127.0.0.1:").append(port)
                    .append(",INTERNAL://127.0.0.1:").append(internalPort).append('\n');
            sb.append("listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT\n");
            sb.append("sasl.enabled.mechanisms=PLAIN\n");
            sb.append("listener.name.sasl_plaintext.plain.sasl.jaas.config=")
                    .append("org.apache.kafka.common.security.plain.PlainLoginModule required ")
                    .append("user_").append(saslUser).append("=\"").append(escape(saslPassword)).append("\";\n");
        }
        sb.append("inter.broker.listener.name=").append(saslUser == null ? "PLAINTEXT" : "INTERNAL").append('\n');
        sb.append("log.dirs=").append(dir.resolve("data").toString().replace("\\", "/")).append('\n');
        sb.append("num.partitions=1\n");
        sb.append("auto.create.topics.enable=true\n");
        sb.append("offsets.topic.replication.factor=1\n");
        sb.append("offsets.topic.num.partitions=1\n");
        sb.append("transaction.state.log.replication.factor=1\n");
        sb.append("transaction.state.log.min.isr=1\n");
        sb.append("share.coordinator.state.topic.replication.factor=1\n");
        sb.append("share.coordinator.state.topic.min.isr=1\n");
        sb.append("group.initial.rebalance.delay.ms=0\n");
        sb.append("log.flush.interval.messages=1\n");
        try {
            Files.writeString(dir.resolve("server.properties"), sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private List<String> javaCommand(String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms64m");
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        cmd.add("-cp");
        cmd.add(libs.toAbsolutePath() + "/*");
        cmd.add(mainClass);
        return cmd;
    }

    private void format() {
        List<String> cmd = javaCommand("kafka.tools.StorageTool");
        cmd.add("format");
        cmd.add("-t");
        cmd.add(clusterId());
        cmd.add("-c");
        cmd.add(dir.resolve("server.properties").toString());
        run(cmd, null, dir.resolve("format.log"), START_TIMEOUT);
    }

    /** A random cluster id in Kafka's Uuid text form: 16 bytes, URL-safe base64 without padding. */
    private static String clusterId() {
        while (true) {
            UUID u = UUID.randomUUID();
            ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
            // as Kafka's own Uuid.randomUuid(): an id starting with '-' reads as an option on a command line
            if (!id.startsWith("-")) {
                return id;
            }
        }
    }

    /** Starts the broker on its ports and data; ready once its log says {@value #READY_LINE}. */
    @Override
    protected synchronized void launch() {
        starts++;
        List<String> cmd = javaCommand("kafka.Kafka");
        cmd.add(dir.resolve("server.properties").toString());
        Path log = logFile();
        launch(cmd, null, log, START_TIMEOUT, Duration.ofMillis(100), () -> containsReadyLine(log));
    }

    private static boolean containsReadyLine(Path log) {
        try {
            // the file grows while the broker starts; reading it whole a few times is cheap enough
            return Files.exists(log) && new String(Files.readAllBytes(log), StandardCharsets.UTF_8).contains(READY_LINE);
        } catch (IOException e) {
            return false;
        }
    }
}
