package dev.aigw.t.websocket;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code enable_websocket} on routes and services, with a real WebSocket upstream ({@link EchoServer})
 * behind the real gateway (built-in store: the etcd store feeds the same route builder), and a Vert.x
 * WebSocket client as the user's.
 */
class WebSocketTest {

    static final int CAP = 256 * 1024;

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .config(c -> c.set("apisix.websocket.max_message_size", "256k"));

    static EchoServer echo;
    static Vertx vertx;
    static WebSocketClient client;

    @BeforeAll
    static void start() throws Exception {
        echo = new EchoServer();
        vertx = Vertx.vertx();
        client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(4 << 20)
                .setMaxMessageSize(16 << 20));
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        echo.close();
    }

    @BeforeEach
    void clean() {
        echo.reset();
    }

    static GatewayProcess gw() {
        return ENV.gateway();
    }

    static void put(String path, JsonObject doc) {
        HttpResult r = gw().admin("PUT", path, doc.encode());
        assertTrue(r.status() == 200 || r.status() == 201, path + ": " + r);
    }

    static JsonObject upstream(String node) {
        return new JsonObject().put("type", "roundrobin").put("nodes", new JsonObject().put(node, 1));
    }

    static void route(String id, String uri, JsonObject more) {
        JsonObject r = new JsonObject().put("uri", uri).put("enable_websocket", true)
                .put("upstream", upstream(echo.hostPort()));
        r.mergeIn(more);
        put("/routes/" + id, r);
        awaitLive(uri);
    }

    static void awaitLive(String uri) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gw().http("GET", uri.replace("*", "x"), null).body().contains("Route Not Found")) {
            if (System.nanoTime() - deadline > 0) {
                fail(uri + " not live");
            }
            sleep(50);
        }
    }

    /** A session to the gateway, its messages queued, its close code noted. */
    static final class Session {
        final WebSocket ws;
        final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();

        /** Handlers set before the handshake, so nothing the gateway sends first is missed. */
        Session(io.vertx.core.http.ClientWebSocket ws) {
            this.ws = ws;
            ws.textMessageHandler(messages::add);
            ws.binaryMessageHandler(b -> messages.add(b.getBytes()));
            ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
        }

        Object next() throws InterruptedException {
            Object m = messages.poll(10, TimeUnit.SECONDS);
            assertNotNull(m, "a message within 10 s");
            return m;
        }

        String awaitClose() throws Exception {
            return closed.get(15, TimeUnit.SECONDS);
        }
    }

    static Future<WebSocket> connect(String uri, String... headers) {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(gw().config().nodePort()).setURI(uri);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            o.addHeader(headers[i], headers[i + 1]);
        }
        return client.connect(o);
    }

    static Session open(String uri, String... headers) throws Exception {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(gw().config().nodePort()).setURI(uri);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            o.addHeader(headers[i], headers[i + 1]);
        }
        io.vertx.core.http.ClientWebSocket ws = client.webSocket();
        Session s = new Session(ws);
        ws.connect(o).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return s;
    }

    /** The handshake's failure: the status the gateway answered instead of 101. */
    static UpgradeRejectedException refused(String uri, String... headers) throws Exception {
        try {
            connect(uri, headers).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return assertInstanceOf(UpgradeRejectedException.class, e.getCause(), "refused with an HTTP status");
        }
        return fail("the upgrade succeeded");
    }

    static String awaitAccessLine(String needle) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = gw().accessLogLines();
            for (String l : lines) {
                if (l.contains(needle)) {
                    return l;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                return fail("no access log line with " + needle + " in " + lines);
            }
            sleep(50);
        }
    }

    @Test
    void echoesTextAndBinaryAndLargeMessagesBothWays() throws Exception {
        route("ws-echo", "/ws/echo", new JsonObject());
        Session s = open("/ws/echo?room=1", "X-Client", "c1");
        s.ws.writeTextMessage("hello through the gateway");
        assertEquals("hello through the gateway", s.next());
        byte[] bin = {0, 1, 2, (byte) 255, 10, 13};
        s.ws.writeBinaryMessage(Buffer.buffer(bin));
        assertArrayEquals(bin, (byte[]) s.next());

        // larger than one frame (the client fragments at 64 KiB) and below the gateway's cap
        byte[] large = new byte[200_000];
        new Random(7).nextBytes(large);
        s.ws.writeBinaryMessage(Buffer.buffer(large));
        assertArrayEquals(large, (byte[]) s.next());
        String text = "ü€".repeat(30_000); // multi-byte characters across frame boundaries
        s.ws.writeTextMessage(text);
        assertEquals(text, s.next());

        // what the upstream saw of the handshake: the gateway's own, with the client's headers and X-Forwarded-*
        assertEquals(1, echo.upgrades.size());
        var h = echo.upgrades.get(0);
        assertEquals("c1", h.get("X-Client"));
        assertEquals("127.0.0.1", h.get("X-Real-IP"));
        assertEquals("127.0.0.1", h.get("X-Forwarded-For"));
        assertEquals("websocket", h.get("Upgrade").toLowerCase());

        s.ws.close((short) 4000, "bye").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("4000 bye", s.awaitClose());
        awaitTrue("the upstream saw the client's close code", () -> echo.closes.contains("4000 bye"));
        String line = awaitAccessLine("/ws/echo?room=1");
        assertTrue(line.contains(" 101 "), line);
        assertTrue(line.contains(echo.hostPort()), "upstream_addr: " + line);
    }

    @Test
    void upstreamCloseCodeReachesTheClient() throws Exception {
        route("ws-echo", "/ws/echo", new JsonObject());
        Session s = open("/ws/echo");
        s.ws.writeTextMessage("close 4001 done here");
        assertEquals("4001 done here", s.awaitClose());
    }

    @Test
    void serviceEnablesWebSocketForItsRoutes() throws Exception {
        put("/services/ws-svc", new JsonObject().put("enable_websocket", true).put("upstream", upstream(echo.hostPort())));
        put("/routes/ws-by-svc", new JsonObject().put("uri", "/ws/svc").put("service_id", "ws-svc"));
        awaitLive("/ws/svc");
        Session s = open("/ws/svc");
        s.ws.writeTextMessage("via service");
        assertEquals("via service", s.next());
        s.ws.close();
        s.awaitClose();

        // the route's own false wins over the service's true
        put("/routes/ws-by-svc", new JsonObject().put("uri", "/ws/svc").put("service_id", "ws-svc")
                .put("enable_websocket", false));
        awaitTrue("the route's false applies", () -> {
            try {
                refused("/ws/svc");
                return true;
            } catch (Throwable e) {
                return false;
            }
        });
    }

    @Test
    void aStalledUpstreamPausesTheClient() throws Exception {
        route("ws-stall", "/ws/stall", new JsonObject());
        Session s = open("/ws/stall");
        Buffer chunk = Buffer.buffer(new byte[128 * 1024]);
        long bound = 256L << 20;
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        // the client writes whenever its connection takes more (as a well-behaved client does); were the
        // gateway to keep reading it while the upstream reads nothing, it would take all of it into memory
        vertx.runOnContext(v -> new Runnable() {
            @Override
            public void run() {
                while (!s.ws.writeQueueFull() && sent.get() < bound && !stop.get()) {
                    s.ws.writeBinaryMessage(chunk);
                    sent.addAndGet(chunk.length());
                }
                if (sent.get() < bound && !stop.get()) {
                    s.ws.drainHandler(d -> run());
                }
            }
        }.run());
        long last = -1;
        int still = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (still < 6 && sent.get() < bound && System.nanoTime() - deadline < 0) {
            sleep(500);
            long now = sent.get();
            still = now == last ? still + 1 : 0;
            last = now;
        }
        stop.set(true);
        assertTrue(sent.get() < bound, "the client was pushed back before " + bound + " bytes: " + sent.get());

        // once the upstream reads again, the gateway resumes the client: everything arrives
        echo.resumeStalled();
        long total = sent.get();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (echo.stalledBytes.get() < total && System.nanoTime() - until < 0) {
            sleep(100);
        }
        assertEquals(total, echo.stalledBytes.get(), "every byte the client sent reached the upstream");
        s.ws.close();
        s.awaitClose();
    }

    @Test
    void upstreamIdWithPassHostRewrite() throws Exception {
        put("/upstreams/ws-up", upstream(echo.hostPort()).put("pass_host", "rewrite").put("upstream_host", "ws.example"));
        put("/routes/ws-by-id", new JsonObject().put("uri", "/ws/by-id").put("upstream_id", "ws-up")
                .put("enable_websocket", true));
        awaitLive("/ws/by-id");
        echo.reset();
        Session s = open("/ws/by-id");
        s.ws.writeTextMessage("by id");
        assertEquals("by id", s.next());
        assertEquals("ws.example", echo.upgrades.get(0).get("Host"), "pass_host rewrite on the handshake");
        s.ws.close();
        s.awaitClose();
    }

    @Test
    void keyAuthRefusesTheUpgradeBeforeAnyUpstreamConnection() throws Exception {
        put("/consumers/ws_user", new JsonObject().put("username", "ws_user")
                .put("plugins", new JsonObject().put("key-auth", new JsonObject().put("key", "ws-secret-key"))));
        route("ws-auth", "/ws/auth", new JsonObject().put("plugins", new JsonObject().put("key-auth", new JsonObject())));
        UpgradeRejectedException r = refused("/ws/auth");
        assertEquals(401, r.getStatus());
        assertEquals("Missing API key in request", new JsonObject(r.getBody()).getString("message"));
        assertEquals(401, refused("/ws/auth", "apikey", "wrong").getStatus());
        assertTrue(echo.upgrades.isEmpty(), "no upstream connection for a refused upgrade");

        Session s = open("/ws/auth", "apikey", "ws-secret-key");
        s.ws.writeTextMessage("authorized");
        assertEquals("authorized", s.next());
        assertEquals(1, echo.upgrades.size());
        s.ws.close();
        s.awaitClose();
    }

    @Test
    void withoutEnableWebsocketTheUpgradeIsPlainHttp() throws Exception {
        put("/routes/ws-off", new JsonObject().put("uri", "/ws/off").put("upstream", upstream(echo.hostPort())));
        awaitLive("/ws/off");
        echo.reset();
        UpgradeRejectedException r = refused("/ws/off");
        assertEquals(200, r.getStatus(), "the upstream's plain answer, as APISIX without enable_websocket");
        assertTrue(echo.upgrades.isEmpty());
        assertEquals(1, echo.plain.size());
        assertNull(echo.plain.get(0).get("Upgrade"), "APISIX does not forward Upgrade without enable_websocket");
    }

    @Test
    void upstreamDownIs502BeforeTheUpgrade() throws Exception {
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        route("ws-down", "/ws/down", new JsonObject().put("upstream", upstream("127.0.0.1:" + dead)));
        UpgradeRejectedException r = refused("/ws/down?upgrade=1");
        assertEquals(502, r.getStatus());
        assertEquals("failed to connect to upstream", new JsonObject(r.getBody()).getString("error_msg"));
        String line = awaitAccessLine("GET /ws/down?upgrade=1");
        assertTrue(line.contains(" 502 "), line);
        assertTrue(gw().awaitLog("failed to connect to upstream for route ws-down", Duration.ofSeconds(5)));
    }

    @Test
    void framesAndMessagesOverTheCapClose1009() throws Exception {
        route("ws-echo", "/ws/echo", new JsonObject());
        // one frame over the cap: refused by the codec
        Session s = open("/ws/echo");
        s.ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[CAP + 1]), true));
        String code = s.awaitClose();
        assertTrue(code.startsWith("1009"), "closed with 1009: " + code);
        awaitTrue("the upstream side closed too", () -> echo.open.get() == 0);

        // a message over the cap in frames under it: closed by the relay
        Session m = open("/ws/echo");
        Buffer part = Buffer.buffer(new byte[100_000]);
        m.ws.writeFrame(WebSocketFrame.binaryFrame(part, false));
        m.ws.writeFrame(WebSocketFrame.continuationFrame(part, false));
        m.ws.writeFrame(WebSocketFrame.continuationFrame(part, true));
        assertEquals("1009 message too big", m.awaitClose());
        awaitTrue("the upstream side closed with 1001", () -> echo.closes.contains("1001 peer sent a message too large"));
    }

    @Test
    void idleSessionsAreClosedOnBothSides() throws Exception {
        JsonObject up = upstream(echo.hostPort()).put("timeout",
                new JsonObject().put("connect", 2).put("send", 2).put("read", 1));
        route("ws-idle", "/ws/idle", new JsonObject().put("upstream", up));
        Session s = open("/ws/idle?session=1");
        s.ws.writeTextMessage("one");
        assertEquals("one", s.next());
        assertEquals("1001 idle timeout", s.awaitClose());
        awaitTrue("the upstream side closed", () -> echo.closes.contains("1001 idle timeout"));
        String line = awaitAccessLine("GET /ws/idle?session=1");
        assertTrue(line.contains(" 101 3 "), "status 101, 3 payload bytes sent to the client: " + line);
    }

    static void awaitTrue(String what, java.util.function.BooleanSupplier check) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail(what + ": not within 10 s");
            }
            sleep(50);
        }
    }

    @Test
    void adminAcceptsEnableWebsocketAndRefusesNonBoolean() {
        HttpResult bad = gw().admin("PUT", "/routes/ws-bad", new JsonObject().put("uri", "/ws/bad")
                .put("enable_websocket", "yes").put("upstream", upstream(echo.hostPort())).encode());
        assertEquals(400, bad.status());
        assertFalse(bad.body().contains("additional"), bad.body());
    }
}
