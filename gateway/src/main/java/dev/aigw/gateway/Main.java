package dev.aigw.gateway;

import dev.aigw.gateway.conf.ConfigException;
import dev.aigw.gateway.conf.GatewayConfig;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Entry point: {@code java -jar aigw.jar [check] [-p prefix] [-c config.yaml]}.
 *
 * <p>{@code check} is the migration check: it reads every resource of the configured store (built-in
 * or etcd), prints {@code <key>: <reason>} for each one the gateway cannot load as it is and exits 1,
 * or prints a one-line summary and exits 0. It opens no port and can run beside a live gateway.
 *
 * <p>The prefix (default: the working directory) holds {@code conf/}, {@code logs/} and
 * {@code data/}. SIGTERM or SIGINT stops accepting, lets requests in flight finish within
 * {@code apisix.graceful_shutdown_timeout}, flushes the logs and exits 0.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path prefix = Path.of(".");
        Path config = null;
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "check" -> check = true;
                case "-p", "--prefix" -> prefix = Path.of(arg(args, ++i));
                case "-c", "--config" -> config = Path.of(arg(args, ++i));
                case "-h", "--help" -> {
                    System.out.println("usage: java -jar aigw.jar [check] [-p prefix] [-c conf/config.yaml]");
                    return;
                }
                default -> fatal("unknown argument: " + args[i] + " (usage: java -jar aigw.jar [-p prefix] [-c config.yaml])");
            }
        }
        prefix = prefix.toAbsolutePath().normalize();
        // before the first logger is created: logback writes <prefix>/logs/error.log
        System.setProperty("aigw.prefix", prefix.toString());
        if (check && System.getProperty("aigw.log.level") == null) {
            // the check reports on stdout; its log lines would only repeat them into a live gateway's error.log
            System.setProperty("aigw.log.level", "OFF");
        }

        GatewayConfig cfg;
        try {
            cfg = GatewayConfig.load(prefix, config);
        } catch (ConfigException e) {
            fatal(e.getMessage());
            return;
        }
        if (check) {
            System.exit(check(cfg));
        }
        // Signals are handled before the ports open, so that a SIGTERM that arrives while starting
        // still stops the gateway cleanly (after the start finished) and exits 0.
        java.util.concurrent.CompletableFuture<Bootstrap> started = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        GatewayConfig finalCfg = cfg;
        sun.misc.SignalHandler onSignal = sig -> {
            if (!stopping.compareAndSet(false, true)) {
                return;
            }
            new Thread(() -> System.exit(stop(started, finalCfg)), "aigw-shutdown").start();
        };
        Signal.handle(new Signal("TERM"), onSignal);
        Signal.handle(new Signal("INT"), onSignal);

        try {
            started.complete(Bootstrap.start(cfg).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            started.completeExceptionally(cause);
            fatal("failed to start: " + cause.getMessage());
        }
        // Vert.x's non-daemon threads keep the JVM alive until a signal stops it
    }

    /** Runs the migration check and prints its findings; returns the exit code (0: everything loads). */
    private static int check(GatewayConfig cfg) {
        Bootstrap.StoreCheck result;
        try {
            result = Bootstrap.check(cfg, 60_000);
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            System.err.println("aigw: check failed: cannot read the store: " + cause.getMessage());
            return 2;
        }
        String store = cfg.usesEtcd() ? "etcd" : "built-in store";
        for (var p : result.problems().entrySet()) {
            System.out.println(p.getKey() + ": " + p.getValue());
        }
        if (result.problems().isEmpty()) {
            System.out.println("aigw check: all " + result.resources() + " resources in the " + store + " can be loaded");
            return 0;
        }
        System.out.println("aigw check: " + result.problems().size() + " of " + result.resources()
                + " resources in the " + store + " cannot be loaded as they are");
        return 1;
    }

    /** Stops a started gateway within its grace time; returns the exit code. */
    private static int stop(java.util.concurrent.CompletableFuture<Bootstrap> started, GatewayConfig cfg) {
        long grace = cfg.gracefulShutdownTimeout().toMillis();
        try {
            Bootstrap gateway = started.get(70, TimeUnit.SECONDS);
            gateway.stop(grace).toCompletionStage().toCompletableFuture().get(grace + 15_000, TimeUnit.MILLISECONDS);
            gateway.closeVertx();
            return 0;
        } catch (Exception e) {
            System.err.println("aigw: error while stopping: " + e);
            return 1;
        }
    }

    private static String arg(String[] args, int i) {
        if (i >= args.length) {
            fatal("missing value for " + args[i - 1]);
        }
        return args[i];
    }

    private static void fatal(String message) {
        System.err.println("aigw: " + message);
        System.exit(1);
    }
}
