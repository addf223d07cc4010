package dev.aigw.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the gateway as a child JVM, the way a user would with {@code bin/aigw -p PREFIX}: {@code java
 * @bin/jvm.options -jar aigw.jar -p PREFIX} with {@code MALLOC_ARENA_MAX=2}, after writing
 * {@code PREFIX/conf/config.yaml} from a {@link GatewayConfig}. The shipped flags file is
 * {@code <aigw.root>/bin/jvm.options} (system property {@code aigw.root}, set by {@code t/pom.xml});
 * without it the child gets {@code -Xmx256m -XX:+UseSerialGC}. A test's own
 * {@link Builder#jvmArgs} come after, so they win.
 *
 * <p>The jar is the system property {@code aigw.jar} (set by {@code t/pom.xml}). The child's stdout
 * and stderr are appended to {@code PREFIX/logs/stdout.log} and {@code PREFIX/logs/stderr.log};
 * the gateway itself writes {@code PREFIX/logs/error.log} and {@code PREFIX/logs/access.log}.
 * {@link #start()} returns once both the node port and the admin port accept connections; if the
 * process dies first or does not listen in time, it fails with the tail of its output.
 *
 * <pre>{@code
 * try (GatewayProcess gw = GatewayProcess.builder(tempDir).config(GatewayConfig.create()).start()) {
 *     gw.admin("PUT", "/apisix/admin/routes/1", routeJson);
 *     HttpResult r = gw.http("POST", "/v1/chat/completions", body);
 * }
 * }</pre>
 */
public final class GatewayProcess implements AutoCloseable {

    /** Default wait for both ports to accept connections. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(20);
    /** Default wait after SIGTERM before SIGKILL. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    /** Options of a launch; see {@link GatewayProcess#builder(Path)}. */
    public static final class Builder {
        private final Path prefix;
        private GatewayConfig config = GatewayConfig.create();
        private Path jar;
        private String mainClass;
        private String classpath;
        private final List<String> jvmArgs = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;

        private Builder(Path prefix) {
            this.prefix = prefix;
        }

        /** The config written to {@code PREFIX/conf/config.yaml}. */
        public Builder config(GatewayConfig config) {
            this.config = config;
            return this;
        }

        /** The jar to run (default: system property {@code aigw.jar}). */
        public Builder jar(Path jar) {
            this.jar = jar;
            return this;
        }

        /** Run a main class from a class path instead of a jar (for testing this launcher itself). */
        public Builder mainClass(String mainClass, String classpath) {
            this.mainClass = mainClass;
            this.classpath = classpath;
            return this;
        }

        /** Extra JVM options, before {@code -jar}. */
        public Builder jvmArgs(String... args) {
            jvmArgs.addAll(List.of(args));
            return this;
        }

        /** An environment variable for the child. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        /** Writes the config, starts the process and waits until it listens. */
        public GatewayProcess start() {
            GatewayProcess gw = new GatewayProcess(this);
            gw.writeConfig();
            gw.launch();
            return gw;
        }
    }

    private final Builder opts;
    private final Path prefix;
    private GatewayConfig config;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private volatile Process process;
    private volatile Thread reaper;

    /** A launch in {@code prefix} (created if missing). */
    public static Builder builder(Path prefix) {
        return new Builder(prefix);
    }

    /** Shorthand: {@code builder(prefix).config(config).start()}. */
    public static GatewayProcess start(Path prefix, GatewayConfig config) {
        return builder(prefix).config(config).start();
    }

    private GatewayProcess(Builder opts) {
        this.opts = opts;
        this.prefix = opts.prefix.toAbsolutePath();
        this.config = opts.config;
    }

    // ---------------------------------------------------------------- lifecycle

    private void writeConfig() {
        try {
            Files.createDirectories(prefix.resolve("conf"));
            Files.createDirectories(prefix.resolve("logs"));
            Files.writeString(configFile(), config.toYaml(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile(), e);
        }
    }

    private List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path shipped = shippedJvmOptions();
        if (shipped != null) {
            // the flags bin/aigw starts the gateway with, so the tests run what users run
            cmd.add("@" + shipped);
            if (nativeTrimSupported(Runtime.version())) {
                cmd.add("-XX:TrimNativeHeapInterval=1000");
            }
        } else {
            cmd.add("-Xmx256m");
            cmd.add("-XX:+UseSerialGC");
        }
        cmd.addAll(opts.jvmArgs);
        if (opts.mainClass != null) {
            cmd.add("-cp");
            cmd.add(opts.classpath);
            cmd.add(opts.mainClass);
        } else {
            cmd.add("-jar");
            cmd.add(jarPath().toString());
        }
        cmd.add("-p");
        cmd.add(prefix.toString());
        return cmd;
    }

    /** {@code <aigw.root>/bin/jvm.options} when the property is set and the file exists, else null. */
    static Path shippedJvmOptions() {
        String root = System.getProperty("aigw.root");
        if (root == null || root.isBlank()) {
            return null;
        }
        Path p = Path.of(root, "bin", "jvm.options").toAbsolutePath().normalize();
        return Files.isRegularFile(p) ? p : null;
    }

    /** {@code -XX:TrimNativeHeapInterval} exists from 17.0.9, 21.0.1 and 22 on (bin/aigw checks the same). */
    static boolean nativeTrimSupported(Runtime.Version v) {
        int f = v.feature();
        return f >= 22 || (f == 21 && v.update() >= 1) || (f == 17 && v.update() >= 9);
    }

    private Path jarPath() {
        Path jar = opts.jar;
        if (jar == null) {
            String prop = System.getProperty("aigw.jar");
            if (prop == null || prop.isBlank()) {
                throw new IllegalStateException(
                        "system property aigw.jar is not set (t/pom.xml sets it to dist/target/aigw.jar)");
            }
            jar = Path.of(prop);
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("gateway jar not found at " + jar.toAbsolutePath()
                    + ": run mvn package first (mvn -B package -DskipTests)");
        }
        return jar;
    }

    private void launch() {
        for (int port : List.of(config.nodePort(), config.adminPort())) {
            if (accepts(port)) {
                throw new IllegalStateException("port " + port + " is already in use before the gateway started");
            }
        }
        ProcessBuilder pb = new ProcessBuilder(command())
                .directory(prefix.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutFile().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrFile().toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        // as bin/aigw: two glibc malloc arenas, not eight per core
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        pb.environment().putAll(opts.env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + pb.command(), e);
        }
        process = p;
        // If the test JVM ends without stop() (a crash, a forgotten close), the child must not outlive it.
        Thread hook = new Thread(() -> {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }, "aigw-gateway-reaper-" + p.pid());
        Runtime.getRuntime().addShutdownHook(hook);
        reaper = hook;
        awaitListening(p);
    }

    private void awaitListening(Process p) {
        long deadline = System.nanoTime() + opts.startTimeout.toNanos();
        while (true) {
            if (!p.isAlive()) {
                int code = p.exitValue();
                unregisterReaper();
                throw new IllegalStateException("gateway (pid " + p.pid() + ") exited with code " + code
                        + " before listening on ports " + config.nodePort() + " and " + config.adminPort()
                        + "\n" + outputTail(40));
            }
            if (accepts(config.nodePort()) && accepts(config.adminPort())) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                forceStop(p);
                unregisterReaper();
                throw new IllegalStateException("gateway (pid " + p.pid() + ") did not listen on ports " + config.nodePort() + " and "
                        + config.adminPort() + " within " + opts.startTimeout.toMillis() + " ms (killed)\n"
                        + outputTail(40));
            }
            sleep(50);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 250);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Stops the gateway: SIGTERM to its PID, a bounded wait, then SIGKILL.
     *
     * @return the exit code ({@code 143} is a JVM ended by SIGTERM, {@code 137} by SIGKILL)
     */
    public int stop() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("not started");
        }
        if (p.isAlive()) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy); // SIGTERM
            if (!waitFor(p, opts.stopTimeout)) {
                forceStop(p);
            }
        }
        unregisterReaper();
        return p.exitValue();
    }

    /** SIGKILL, no grace (a crash); returns the exit code. */
    public int kill() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("not started");
        }
        forceStop(p);
        unregisterReaper();
        return p.exitValue();
    }

    private void forceStop(Process p) {
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
        if (!waitFor(p, Duration.ofSeconds(10))) {
            throw new IllegalStateException("gateway pid " + p.pid() + " survived SIGKILL for 10 s");
        }
    }

    /** Stops (if running) and starts again in the same prefix, with the same config file and ports. */
    public GatewayProcess restart() {
        if (process != null && process.isAlive()) {
            stop();
        }
        launch();
        return this;
    }

    /** Stops (if running), writes a new config and starts again in the same prefix. */
    public GatewayProcess restart(GatewayConfig newConfig) {
        if (process != null && process.isAlive()) {
            stop();
        }
        this.config = newConfig;
        writeConfig();
        launch();
        return this;
    }

    /** Stops the gateway if it still runs. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            stop();
        }
    }

    private void unregisterReaper() {
        Thread hook = reaper;
        reaper = null;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook will run and find the process gone
            }
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---------------------------------------------------------------- state

    /** The child's PID. */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException("not started");
        }
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public GatewayConfig config() {
        return config;
    }

    public Path prefix() {
        return prefix;
    }

    public Path configFile() {
        return prefix.resolve("conf").resolve("config.yaml");
    }

    public Path errorLogFile() {
        return prefix.resolve("logs").resolve("error.log");
    }

    public Path accessLogFile() {
        return prefix.resolve("logs").resolve("access.log");
    }

    public Path stdoutFile() {
        return prefix.resolve("logs").resolve("stdout.log");
    }

    public Path stderrFile() {
        return prefix.resolve("logs").resolve("stderr.log");
    }

    /** {@code logs/error.log}, or "" if it does not exist. */
    public String errorLog() {
        return read(errorLogFile());
    }

    /** {@code logs/access.log}, or "" if it does not exist. */
    public String accessLog() {
        return read(accessLogFile());
    }

    /** The non-empty lines of {@code logs/access.log}. */
    public List<String> accessLogLines() {
        return accessLog().lines().filter(l -> !l.isBlank()).toList();
    }

    public String stdout() {
        return read(stdoutFile());
    }

    public String stderr() {
        return read(stderrFile());
    }

    /** error.log, stderr and stdout together: what to search for a logged message. */
    public String allLogs() {
        return errorLog() + stderr() + stdout();
    }

    /** Waits (bounded) until {@link #allLogs()} contains {@code text}; returns whether it did. */
    public boolean awaitLog(String text, Duration timeout) {
        return awaitText(this::allLogs, s -> s.contains(text), timeout);
    }

    /**
     * Waits (bounded) until stdout satisfies {@code ok}; returns whether it did. The child writes its
     * stdout on its own schedule: a port that accepts does not mean the line after it was printed.
     */
    public boolean awaitStdout(Predicate<String> ok, Duration timeout) {
        return awaitText(this::stdout, ok, timeout);
    }

    /** Waits (bounded) until the access log has at least {@code n} lines; returns them (maybe fewer). */
    public List<String> awaitAccessLogLines(int n, Duration timeout) {
        awaitText(this::accessLog, s -> s.lines().filter(l -> !l.isBlank()).count() >= n, timeout);
        return accessLogLines();
    }

    private static boolean awaitText(java.util.function.Supplier<String> source, Predicate<String> ok,
                                     Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (ok.test(source.get())) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            sleep(50);
        }
    }

    /** The last {@code lines} lines of error.log, stderr and stdout, labelled (for failure messages). */
    public String outputTail(int lines) {
        StringBuilder sb = new StringBuilder();
        for (Path f : List.of(errorLogFile(), stderrFile(), stdoutFile())) {
            List<String> all = read(f).lines().toList();
            if (all.isEmpty()) {
                continue;
            }
            sb.append("--- ").append(prefix.relativize(f)).append(" (last ").append(Math.min(lines, all.size()))
                    .append(" lines) ---\n");
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> sb.append(l).append('\n'));
        }
        return sb.length() == 0 ? "(no output)" : sb.toString();
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- HTTP

    /** {@code http://127.0.0.1:NODE_PORT} + path (the data plane, APISIX's 9080 side). */
    public String url(String path) {
        return "http://127.0.0.1:" + config.nodePort() + path;
    }

    /** {@code http://127.0.0.1:ADMIN_PORT} + path. */
    public String adminUrl(String path) {
        return "http://127.0.0.1:" + config.adminPort() + path;
    }

    /**
     * An Admin API call with {@code X-API-KEY}. A path not starting with {@code /apisix/admin} gets
     * that prefix ({@code "/routes/1"} is {@code /apisix/admin/routes/1}).
     *
     * @param jsonBody request body or {@code null}
     */
    public HttpResult admin(String method, String path, String jsonBody) {
        String full = path.startsWith("/apisix/admin") ? path : "/apisix/admin" + path;
        return send(method, adminUrl(full), jsonBody, Map.of("X-API-KEY", config.adminKey()));
    }

    /** A request to the data plane; {@code headers} are name/value pairs. JSON bodies get a JSON content type. */
    public HttpResult http(String method, String path, String body, String... headers) {
        if (headers.length % 2 != 0) {
            throw new IllegalArgumentException("headers must be name/value pairs");
        }
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return send(method, url(path), body, h);
    }

    /** Any HTTP/1.1 request with a 30 s timeout, body read whole as UTF-8. */
    public HttpResult send(String method, String url, String body, Map<String, String> headers) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        boolean hasContentType = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("content-type"));
        if (body != null && !hasContentType) {
            rb.header("Content-Type", "application/json");
        }
        headers.forEach(rb::header);
        try {
            HttpResponse<String> resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return HttpResult.of(resp.statusCode(), resp.headers().map(), resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The shared HTTP/1.1 client (e.g. for streaming reads with a custom body handler). */
    public HttpClient httpClient() {
        return http;
    }
}
