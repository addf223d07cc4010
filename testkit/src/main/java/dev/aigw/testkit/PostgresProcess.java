package dev.aigw.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests (Debian's {@code postgresql} package; binaries from
 * {@code $AIGW_PG_BIN}, else the newest {@code /usr/lib/postgresql/<v>/bin}): {@code initdb} in a
 * temporary directory, {@code postgres} on a free 127.0.0.1 port (no Unix socket outside that
 * directory), trust authentication for the user {@code aigw}, stopped by its PID.
 *
 * <p>initdb and postgres refuse to run as root: under root both run as {@code nobody} through
 * {@code setpriv} (which execs, so the PID we hold is the server's), with the directory owned by
 * that user. {@link #shared()} starts one server per test JVM, stopped at exit.
 */
public final class PostgresProcess extends ManagedProcess {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    public static final String USER = "aigw";

    private static PostgresProcess shared;

    private final Path bin;
    private final Path root;
    private final Path data;
    private final Path log;
    private final int port;
    private final boolean asNobody;

    private PostgresProcess(Path bin, Path root, int port, boolean asNobody) {
        // SIGINT is PostgreSQL's "fast" shutdown; no hook of its own (shared() closes at exit)
        super("postgres", root, StopSignal.INT, STOP_TIMEOUT, false);
        this.bin = bin;
        this.root = root;
        this.data = root.resolve("data");
        this.log = root.resolve("postgres.log");
        this.port = port;
        this.asNobody = asNobody;
    }

    /** One server for the whole test JVM, started on first use and stopped at exit. */
    public static synchronized PostgresProcess shared() {
        if (shared == null || !shared.isRunning()) {
            shared = start();
            PostgresProcess p = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(p::close, "postgres-process-cleanup"));
        }
        return shared;
    }

    /** initdb, then start the server and wait (bounded) until it accepts connections. */
    public static PostgresProcess start() {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = tempDir("aigw-pg-");
        PostgresProcess p = new PostgresProcess(bin, dir, Ports.free(), root);
        try {
            if (root) {
                run(List.of("chown", "nobody:nogroup", dir.toString()), dir);
            }
            p.initdb();
            p.launch();
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** JDBC URL of the {@code postgres} database. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** libpq-style URI, as the gateway's {@code dsn} takes it. */
    public String dsn(String database) {
        return "postgresql://" + USER + "@127.0.0.1:" + port + "/" + database;
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return log;
    }

    private List<String> asUser(List<String> cmd) {
        if (!asNobody) {
            return cmd;
        }
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--reset-env", "--"));
        c.addAll(cmd);
        return c;
    }

    private void initdb() {
        run(asUser(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
                "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")), root);
    }

    /** Starts postgres on this port and data directory; ready once {@code pg_isready} says so. */
    @Override
    protected void launch() {
        List<String> cmd = asUser(List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
                "-p", Integer.toString(port), "-h", "127.0.0.1", "-k", root.toString(),
                "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=40",
                "-c", "shared_buffers=16MB"));
        launch(cmd, root, log, START_TIMEOUT, Duration.ofMillis(100), () -> {
            Process ready = new ProcessBuilder(bin.resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1",
                    "-p", Integer.toString(port), "-U", USER).start();
            return ready.waitFor(5, TimeUnit.SECONDS) && ready.exitValue() == 0;
        });
    }

    private static void run(List<String> cmd, Path dir) {
        Path out = tempFile("aigw-pg-cmd-", ".log");
        try {
            run(cmd, dir, out, COMMAND_TIMEOUT);
        } finally {
            deleteTree(out);
        }
    }

    private static Path findBin() {
        String env = System.getenv("AIGW_PG_BIN");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env, "postgres"))) {
            return Path.of(env);
        }
        Path base = Path.of("/usr/lib/postgresql");
        try (Stream<Path> s = Files.list(base)) {
            return s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("postgres")))
                    .max(Comparator.comparing(p -> versionOf(p.getParent().getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries under " + base
                            + " (install the postgresql package, or set AIGW_PG_BIN)"));
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL server binaries: set AIGW_PG_BIN", e);
        }
    }

    private static int versionOf(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
