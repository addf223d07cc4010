package dev.aigw.t;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the gateway's main class, to prove {@link dev.aigw.testkit.GatewayProcess}
 * before the real gateway exists. Same command line ({@code -p PREFIX}), reads the ports and the
 * admin key from {@code PREFIX/conf/config.yaml}, listens on both, counts its starts in
 * {@code PREFIX/data/starts}, logs to {@code PREFIX/logs/error.log} and ends on SIGTERM.
 * JDK classes only, so its class path is just the test classes.
 *
 * <p>{@code fake_mode} in the config picks a misbehaviour: {@code exit_early} (complains on stderr
 * and exits 3), {@code never_listen}, {@code ignore_term} (a shutdown hook that never returns).
 */
public final class FakeGateway {

    private FakeGateway() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !args[0].equals("-p")) {
            System.err.println("usage: -p PREFIX");
            System.exit(2);
        }
        Path prefix = Path.of(args[1]);
        String conf = Files.readString(prefix.resolve("conf/config.yaml"));
        String mode = find(conf, "fake_mode:\\s*\"?(\\w+)", "normal");
        int nodePort = Integer.parseInt(find(conf, "node_listen:[\\s\\S]*?port:\\s*\"?(\\d+)", null));
        int adminPort = Integer.parseInt(find(conf, "admin_listen:\\s*\\n\\s*ip:.*\\n\\s*port:\\s*(\\d+)", null));
        String adminKey = find(conf, "\\bkey:\\s*\"([^\"]*)\"", null);
        Path errorLog = prefix.resolve("logs/error.log");

        switch (mode) {
            case "exit_early" -> {
                System.err.println("boom: invalid configuration in conf/config.yaml");
                System.exit(3);
            }
            case "never_listen" -> {
                new CountDownLatch(1).await();
                return;
            }
            default -> {
                // serve below
            }
        }

        Path starts = prefix.resolve("data/starts");
        Files.createDirectories(starts.getParent());
        int n = Files.exists(starts) ? Integer.parseInt(Files.readString(starts).trim()) : 0;
        Files.writeString(starts, String.valueOf(n + 1));

        // The hook goes in before the ports open: the launcher may send SIGTERM as soon as they accept.
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.List<HttpServer> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            append(errorLog, "fake gateway stopping\n");
            if (mode.equals("ignore_term")) {
                try {
                    new CountDownLatch(1).await(); // never returns: only SIGKILL ends this process
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
            servers.forEach(srv -> srv.stop(0));
            stopped.countDown();
        }));

        HttpServer admin = HttpServer.create(new InetSocketAddress("127.0.0.1", adminPort), 16);
        servers.add(admin);
        admin.createContext("/", ex -> {
            if (!adminKey.equals(ex.getRequestHeaders().getFirst("X-API-KEY"))) {
                reply(ex, 401, "{\"error_msg\":\"failed to check token\"}");
                return;
            }
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            reply(ex, 200, "{\"method\":\"" + ex.getRequestMethod() + "\",\"path\":\"" + ex.getRequestURI().getPath()
                    + "\",\"body_length\":" + body.length() + "}");
        });
        HttpServer node = HttpServer.create(new InetSocketAddress("127.0.0.1", nodePort), 16);
        servers.add(node);
        node.createContext("/hello", ex -> {
            reply(ex, 200, "hello world\n");
            append(prefix.resolve("logs/access.log"), "127.0.0.1 GET /hello 200\n");
        });
        admin.start();
        node.start();
        append(errorLog, "fake gateway started, start " + (n + 1) + "\n");
        System.out.println("fake gateway listening on " + nodePort + " and " + adminPort);
        stopped.await();
    }

    private static String find(String text, String regex, String dflt) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (m.find()) {
            return m.group(1);
        }
        if (dflt == null) {
            throw new IllegalArgumentException("config.yaml has no match for " + regex);
        }
        return dflt;
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static void append(Path file, String line) {
        try {
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
