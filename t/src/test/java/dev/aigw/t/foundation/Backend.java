package dev.aigw.t.foundation;

import dev.aigw.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A plain HTTP upstream for the black-box tests, on one or more free 127.0.0.1 ports (Vert.x, never
 * blocking its event loop). Every answer carries {@code X-Backend-Port} (which listener served it)
 * and {@code X-Echo-Host} (the Host header it received).
 * <ul>
 *   <li>{@code /slow/<ms>/...}: answers {@code slow done} after that many milliseconds; {@link #slowArrived()}
 *       completes when such a request arrives.</li>
 *   <li>{@code /upload/...}: streams the request body, counting bytes ({@link #uploadBytes()}) and
 *       answering {@code {"bytes": n, "crc": c}} at the end.</li>
 *   <li>{@code /download/<bytes>/...}: streams {@link #pattern(long)} bytes with back-pressure; after the
 *       first half it waits (at most 30 s) for {@link #releaseDownload()} before sending the rest, and
 *       gives up (resets) if that never comes.</li>
 *   <li>anything else: echoes {@code {"method", "uri", "host", "headers", "body_length"}} as JSON.</li>
 * </ul>
 */
final class Backend implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final AtomicLong uploadBytes = new AtomicLong();
    private volatile CompletableFuture<Void> slowArrived = new CompletableFuture<>();
    private volatile CompletableFuture<Void> downloadRelease = new CompletableFuture<>();
    private volatile CompletableFuture<Void> downloadFinished = new CompletableFuture<>();

    private Backend() {
    }

    /** A backend listening on {@code listeners} free ports. */
    static Backend start(int listeners) {
        Backend b = new Backend();
        try {
            for (int i = 0; i < listeners; i++) {
                int port = Ports.free();
                HttpServer s = b.vertx.createHttpServer().requestHandler(req -> b.handle(req, port));
                b.servers.add(s.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS));
                b.ports.add(port);
            }
        } catch (Exception e) {
            b.close();
            throw new IllegalStateException("backend did not start", e);
        }
        return b;
    }

    int port() {
        return ports.get(0);
    }

    int port(int i) {
        return ports.get(i);
    }

    /** {@code "127.0.0.1:PORT"}, a node key of an upstream. */
    String node(int i) {
        return "127.0.0.1:" + ports.get(i);
    }

    AtomicLong uploadBytes() {
        return uploadBytes;
    }

    CompletableFuture<Void> slowArrived() {
        return slowArrived;
    }

    /** Lets a waiting download send its second half. */
    void releaseDownload() {
        downloadRelease.complete(null);
    }

    /** Completes when a download wrote its last byte (exceptionally if it gave up). */
    CompletableFuture<Void> downloadFinished() {
        return downloadFinished;
    }

    /** Fresh signals for the next test. */
    void reset() {
        uploadBytes.set(0);
        slowArrived = new CompletableFuture<>();
        downloadRelease = new CompletableFuture<>();
        downloadFinished = new CompletableFuture<>();
    }

    /** The byte at offset {@code i} of every upload/download body: not constant, so a lost or reordered chunk shows. */
    static byte pattern(long i) {
        return (byte) ((i * 31 + (i >>> 13)) & 0xff);
    }

    private void handle(HttpServerRequest req, int port) {
        HttpServerResponse resp = req.response()
                .putHeader("X-Backend-Port", String.valueOf(port))
                .putHeader("X-Echo-Host", String.valueOf(req.getHeader("Host")));
        String path = req.path();
        if (path.startsWith("/slow/")) {
            long ms = Long.parseLong(path.split("/")[2]);
            slowArrived.complete(null);
            req.body().onComplete(b -> vertx.setTimer(ms, t -> {
                if (!resp.closed()) {
                    resp.end("slow done");
                }
            }));
        } else if (path.startsWith("/upload/")) {
            CRC32 crc = new CRC32();
            long[] n = {0};
            req.handler(chunk -> {
                byte[] bytes = chunk.getBytes();
                crc.update(bytes);
                n[0] += bytes.length;
                uploadBytes.addAndGet(bytes.length);
            });
            req.endHandler(v -> resp.putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("bytes", n[0]).put("crc", crc.getValue()).encode()));
        } else if (path.startsWith("/download/")) {
            download(resp, Long.parseLong(path.split("/")[2]));
        } else {
            req.body().onComplete(ar -> {
                if (ar.failed()) {
                    resp.setStatusCode(500).end();
                    return;
                }
                JsonObject headers = new JsonObject();
                for (Map.Entry<String, String> h : req.headers()) {
                    headers.put(h.getKey().toLowerCase(), h.getValue());
                }
                resp.putHeader("Content-Type", "application/json").end(new JsonObject()
                        .put("method", req.method().name())
                        .put("uri", req.uri())
                        .put("host", req.getHeader("Host"))
                        .put("headers", headers)
                        .put("body_length", ar.result().length())
                        .put("body", ar.result().toString())
                        .encode());
            });
        }
    }

    private void download(HttpServerResponse resp, long size) {
        resp.putHeader("Content-Length", String.valueOf(size));
        io.vertx.core.Context context = vertx.getOrCreateContext();
        CompletableFuture<Void> release = downloadRelease;
        CompletableFuture<Void> finished = downloadFinished;
        long half = size / 2;
        long[] sent = {0};
        boolean[] waiting = {false};
        int chunk = 64 * 1024;
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (sent[0] < size && !resp.writeQueueFull()) {
                if (sent[0] >= half && !release.isDone()) {
                    if (!waiting[0]) {
                        waiting[0] = true;
                        long timer = vertx.setTimer(30_000, t -> {
                            finished.completeExceptionally(new IllegalStateException(
                                    "the client never saw the first half of the download"));
                            resp.reset();
                        });
                        release.thenRun(() -> context.runOnContext(v -> {
                            vertx.cancelTimer(timer);
                            pump[0].run();
                        }));
                    }
                    return;
                }
                int len = (int) Math.min(chunk, (sent[0] < half ? half : size) - sent[0]);
                Buffer b = Buffer.buffer(len);
                for (int i = 0; i < len; i++) {
                    b.appendByte(pattern(sent[0] + i));
                }
                sent[0] += len;
                resp.write(b);
            }
            if (sent[0] >= size) {
                resp.end().onComplete(ar -> finished.complete(null));
            } else {
                resp.drainHandler(v -> pump[0].run());
            }
        };
        resp.closeHandler(v -> finished.completeExceptionally(new IllegalStateException("connection closed")));
        pump[0].run();
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort
        }
    }
}
