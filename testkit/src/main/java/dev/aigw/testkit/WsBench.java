package dev.aigw.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * WebSocket load for {@code bench/run.sh} (wrk cannot speak WebSocket) and the echo upstream it
 * drives, on Vert.x. Run with the testkit's classes and any class path holding Vert.x, e.g. the
 * gateway's jar: {@code java -cp testkit/target/classes:dist/target/aigw.jar dev.aigw.testkit.WsBench …}.
 *
 * <pre>
 * WsBench echo --port P [--loops 1]
 *     a WebSocket echo server on 127.0.0.1:P (each text or binary message sent back whole); a plain
 *     HTTP request is answered 200 "ok". Prints "WSECHO port=P" once listening; runs until killed.
 * WsBench load --port P [--host 127.0.0.1] [--path /] [--conns 50] [--size 200] [--duration 10]
 *              [--warmup 0] [--loops 2] [--timeout 5]
 *     opens --conns connections; each sends a text message of --size bytes and the next one only when
 *     the echo of the previous has come back (ping-pong). Echoes received during the --duration s
 *     window after --warmup s are counted, with their round trip. Prints one line (latencies in µs):
 *     WS conns=50 size=200 seconds=10.00 messages=N mps=M p50=… p90=… p99=… max=… all=A errors=E
 *     (A: every echo received, warm-up included) and, when there was one, "WS first_error=…". An error is a connection that fails to open, closes
 *     or fails before the end, answers with other text than it was sent, or is still waiting for an
 *     echo --timeout s after the window closed. The process exits within
 *     warmup + duration + timeout + 40 s whatever happens.
 * </pre>
 */
public final class WsBench {

    private WsBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: WsBench echo|load --name value ...");
            System.exit(2);
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("expected --name value, got " + args[i]);
                System.exit(2);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        switch (args[0]) {
            case "echo" -> echo(o);
            case "load" -> System.exit(load(o));
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    static int num(Map<String, String> o, String name, int dflt) {
        return o.containsKey(name) ? Integer.parseInt(o.get(name)) : dflt;
    }

    // ------------------------------------------------------------------------------------------ echo

    static void echo(Map<String, String> o) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(num(o, "loops", 1)));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setMaxWebSocketFrameSize(1 << 16)
                        .setMaxWebSocketMessageSize(1 << 20))
                .requestHandler(req -> {
                    if (!req.canUpgradeToWebSocket()) {
                        req.response().putHeader("Content-Type", "text/plain").end("ok");
                        return;
                    }
                    req.toWebSocket().onSuccess(ws -> {
                        ws.textMessageHandler(ws::writeTextMessage);
                        ws.binaryMessageHandler(ws::writeBinaryMessage);
                        ws.exceptionHandler(err -> { }); // a client gone mid-write: nothing to do
                    });
                })
                .listen(num(o, "port", 0), "127.0.0.1").toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        System.out.println("WSECHO port=" + server.actualPort());
        System.out.flush();
        Thread.currentThread().join(); // until killed (bench/run.sh stops it by PID)
    }

    // ------------------------------------------------------------------------------------------ load

    /** 0 warm-up (echoes not counted), 1 measured window, 2 stopping. */
    private static volatile int phase;

    /** One ping-pong connection; its fields are touched only on its event loop until {@link #done}. */
    private static final class Conn {
        final String message;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        WebSocket ws;
        long sentAt;
        long[] samples = new long[1024];
        int n;
        long count;
        long echoes;

        Conn(String message) {
            this.message = message;
        }

        void send() {
            sentAt = System.nanoTime();
            ws.writeTextMessage(message);
        }

        void onText(String text, AtomicReference<String> firstError) {
            long rtt = System.nanoTime() - sentAt;
            if (!text.equals(message)) {
                fail("echo differs from what was sent (" + text.length() + " characters back, " + message.length()
                        + " sent)", firstError);
                return;
            }
            echoes++;
            int p = phase;
            if (p == 1) {
                count++;
                if (n == samples.length && n < (1 << 23)) {
                    samples = Arrays.copyOf(samples, n * 2);
                }
                if (n < samples.length) { // beyond 8 M samples per connection the count still counts
                    samples[n++] = rtt / 1000;
                }
            }
            if (p == 2) {
                done.complete(null);
                ws.close();
            } else {
                send();
            }
        }

        void fail(String why, AtomicReference<String> firstError) {
            if (done.isDone()) {
                return;
            }
            firstError.compareAndSet(null, why);
            done.completeExceptionally(new IllegalStateException(why));
            if (ws != null) {
                ws.close();
            }
        }
    }

    static int load(Map<String, String> o) throws Exception {
        int conns = num(o, "conns", 50);
        int size = num(o, "size", 200);
        int duration = num(o, "duration", 10);
        int warmup = num(o, "warmup", 0);
        int timeout = num(o, "timeout", 5);
        String host = o.getOrDefault("host", "127.0.0.1");
        int port = num(o, "port", 0);
        String path = o.getOrDefault("path", "/");
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep((warmup + duration + timeout + 40) * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("WS first_error=the run did not end in time");
            System.exit(3);
        }, "ws-bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(num(o, "loops", 2)));
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(conns + 1).setConnectTimeout(timeout * 1000).setMaxFrameSize(1 << 16));
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Conn> connections = new ArrayList<>();
        List<CompletableFuture<Void>> opened = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            Conn c = new Conn(message(i, size));
            connections.add(c);
            CompletableFuture<Void> up = new CompletableFuture<>();
            opened.add(up);
            // from this (non-Vert.x) thread each connect gets a context of its own: the connections
            // are spread over the event loops
            client.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path)).onComplete(ar -> {
                if (ar.failed()) {
                    c.fail("connect: " + ar.cause(), firstError);
                    up.complete(null);
                    return;
                }
                c.ws = ar.result();
                c.ws.textMessageHandler(text -> c.onText(text, firstError));
                c.ws.exceptionHandler(err -> c.fail("connection failed: " + err, firstError));
                c.ws.closeHandler(v -> c.fail("closed by the peer (" + c.ws.closeStatusCode() + " "
                        + c.ws.closeReason() + ")", firstError));
                up.complete(null);
                c.send();
            });
        }
        try {
            CompletableFuture.allOf(opened.toArray(CompletableFuture[]::new)).get(timeout + 10L, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            firstError.compareAndSet(null, "connections not open after " + (timeout + 10) + " s");
        }
        Thread.sleep(warmup * 1000L);
        long t0 = System.nanoTime();
        phase = 1;
        Thread.sleep(duration * 1000L);
        phase = 2;
        long t1 = System.nanoTime();
        AtomicInteger errors = new AtomicInteger();
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        for (Conn c : connections) {
            try {
                c.done.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                errors.incrementAndGet();
            } catch (java.util.concurrent.TimeoutException e) {
                firstError.compareAndSet(null, "no echo within " + timeout + " s after the window closed");
                errors.incrementAndGet();
            }
        }
        // the completed futures publish each connection's samples to this thread
        long messages = 0;
        long echoes = 0;
        int total = 0;
        for (Conn c : connections) {
            if (c.done.isDone()) {
                messages += c.count;
                echoes += c.echoes;
                total += c.n;
            }
        }
        long[] lat = new long[total];
        int k = 0;
        for (Conn c : connections) {
            if (c.done.isDone()) {
                System.arraycopy(c.samples, 0, lat, k, c.n);
                k += c.n;
            }
        }
        Arrays.sort(lat);
        double seconds = (t1 - t0) / 1e9;
        System.out.printf(Locale.ROOT, "WS conns=%d size=%d seconds=%.2f messages=%d mps=%.1f p50=%d p90=%d p99=%d max=%d all=%d errors=%d%n",
                conns, size, seconds, messages, messages / seconds, pct(lat, 50), pct(lat, 90), pct(lat, 99),
                lat.length == 0 ? -1 : lat[lat.length - 1], echoes, errors.get());
        if (firstError.get() != null) {
            System.out.println("WS first_error=" + firstError.get().replace('\n', ' '));
        }
        System.out.flush();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // exiting anyway
        }
        return 0;
    }

    /** A text message of exactly {@code size} ASCII bytes, shaped like a Realtime API event. */
    static String message(int conn, int size) {
        StringBuilder b = new StringBuilder(size + 64);
        b.append("{\"type\":\"input_audio_buffer.append\",\"event_id\":\"bench-").append(conn).append("\",\"audio\":\"");
        String tail = "\"}";
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; b.length() < size - tail.length(); i++) {
            b.append(alphabet.charAt((i * 7 + conn) % alphabet.length()));
        }
        return b.append(tail).toString();
    }

    /** Nearest rank, as wrk and bench/tools/BenchTool. */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
