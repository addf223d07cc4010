package dev.aigw.t.foundation;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP as strictly as nginx reads it (issue 11, points 3-6): the request target decides the host, a
 * request with two Host headers or a folded header line is refused, a client may not hold a connection
 * with a header sent line by line or an idle keep-alive, and cleartext HTTP/2 is off unless a listener
 * enables it. Raw sockets, because ordinary clients never send such requests.
 */
class HttpStrictnessTest {

    private static Backend backend;
    private static Path prefix;
    private static GatewayProcess gw;

    @BeforeAll
    static void start() throws IOException {
        backend = Backend.start(2);
        prefix = Files.createTempDirectory("aigw-t-strict-");
        // short timeouts so that the tests need not wait nginx's 60 s
        gw = GatewayProcess.start(prefix, GatewayConfig.create()
                .set("nginx_config.http.client_header_timeout", "2s")
                .set("nginx_config.http.keepalive_timeout", "2s"));
        for (int i = 0; i < 2; i++) {
            String host = i == 0 ? "public.example" : "internal.example";
            HttpResult r = gw.admin("PUT", "/routes/" + host, new JsonObject().put("uri", "/x")
                    .put("hosts", List.of(host))
                    .put("upstream", new JsonObject().put("type", "roundrobin")
                            .put("nodes", new JsonObject().put("127.0.0.1:" + backend.port(i), 1))).encode());
            assertEquals(201, r.status(), r.toString());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (RawHttp.get(gw.config().nodePort(), "/x", "internal.example").status() != 200) {
            assertTrue(System.nanoTime() < deadline, "routes live");
            dev.aigw.t.Pause.sleep(50);
        }
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static int node() {
        return gw.config().nodePort();
    }

    // ------------------------------------------------------------------ point 3

    @Test
    void anAbsoluteFormTargetIsRoutedByItsAuthorityAndSentOnInOriginForm() {
        RawHttp.Response r = RawHttp.send(node(), "GET http://internal.example/x?a=1 HTTP/1.1\r\n"
                + "Host: public.example\r\nConnection: close\r\n\r\n");

        assertEquals(200, r.status(), r.raw());
        assertEquals(String.valueOf(backend.port(1)), r.header("X-Backend-Port"),
                "routed by the target's authority (internal.example), not by the Host header");
        JsonObject echo = new JsonObject(r.raw().substring(r.raw().indexOf("\r\n\r\n") + 4));
        assertEquals("/x?a=1", echo.getString("uri"), "the upstream gets origin-form");
        assertEquals("internal.example", echo.getString("host"), "and the host routing used");
    }

    // ------------------------------------------------------------------ point 4

    @Test
    void twoHostHeadersAre400() {
        RawHttp.Response r = RawHttp.send(node(), "GET /x HTTP/1.1\r\nHost: public.example\r\n"
                + "Host: internal.example\r\nConnection: close\r\n\r\n");
        assertEquals(400, r.status(), r.raw());
    }

    @Test
    void anObsFoldHeaderLineIs400() {
        RawHttp.Response r = RawHttp.send(node(), "GET /x HTTP/1.1\r\nHost: public.example\r\n"
                + "X-Folded: first\r\n  continued\r\nConnection: close\r\n\r\n");
        assertEquals(400, r.status(), r.raw());
        // and an ordinary request on the same route still works
        assertEquals(200, RawHttp.get(node(), "/x", "public.example").status());
    }

    // ------------------------------------------------------------------ point 5

    /**
     * A client that sends one header line at a time, never finishing the head, is cut off after
     * client_header_timeout (2 s here) although every line resets an idle timer; it gets 20 s to be.
     */
    @Test
    void aHeadSentLineByLineIsCutOffAfterClientHeaderTimeout() throws Exception {
        for (int port : new int[] {node(), gw.config().adminPort()}) {
            try (Socket s = connect(port)) {
                OutputStream out = s.getOutputStream();
                out.write("GET /x HTTP/1.1\r\nHost: public.example\r\n".getBytes(StandardCharsets.US_ASCII));
                boolean closed = false;
                for (int i = 0; i < 40 && !closed; i++) {
                    dev.aigw.t.Pause.sleep(500);
                    try {
                        out.write(("X-Line-" + i + ": v\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        closed = eof(s, 1);
                    } catch (IOException e) {
                        closed = true; // the gateway closed it: the write failed
                    }
                }
                assertTrue(closed, "port " + port + ": the connection is closed before the client gives up");
            }
        }
    }

    /** An idle kept-alive connection is closed after keepalive_timeout (2 s here), on both listeners. */
    @Test
    void anIdleKeptAliveConnectionIsClosedOnBothListeners() throws Exception {
        String[] requests = {
            "GET /x HTTP/1.1\r\nHost: public.example\r\n\r\n",
            "GET /apisix/admin/routes HTTP/1.1\r\nHost: a\r\nX-API-KEY: " + gw.config().adminKey() + "\r\n\r\n"};
        int[] ports = {node(), gw.config().adminPort()};
        for (int i = 0; i < 2; i++) {
            try (Socket s = connect(ports[i])) {
                s.getOutputStream().write(requests[i].getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                int n = in.read(buf);
                assertTrue(n > 0 && new String(buf, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"),
                        "port " + ports[i] + " answered");
                // then the connection sits idle: the gateway must close it (read sees EOF) well within 20 s
                assertTrue(eof(s, 20_000), "port " + ports[i] + ": idle keep-alive connection closed");
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    /** True when the peer closed the connection within {@code millis} (any answer bytes are skipped). */
    private static boolean eof(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the gateway
        }
    }

    // ------------------------------------------------------------------ point 6

    private static HttpClient.Version versionOf(String url) throws Exception {
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.version();
    }

    @Test
    void cleartextHttp2IsOffByDefault() throws Exception {
        // java.net.http offers h2c by an Upgrade header; a server without h2c answers in HTTP/1.1
        assertEquals(HttpClient.Version.HTTP_1_1, versionOf(gw.url("/apisix/nothing")), "data plane");
        assertEquals(HttpClient.Version.HTTP_1_1, versionOf(gw.adminUrl("/apisix/admin/routes")), "Admin API");
    }

    @Test
    void aListenerCanEnableCleartextHttp2(@TempDir Path dir) throws Exception {
        GatewayConfig c = GatewayConfig.create();
        c.set("apisix.node_listen", List.of(Map.of("ip", "127.0.0.1", "port", c.nodePort(), "enable_http2", true)));
        try (GatewayProcess h2 = GatewayProcess.start(dir, c)) {
            assertEquals(HttpClient.Version.HTTP_2, versionOf(h2.url("/apisix/nothing")), "enable_http2: true");
            assertEquals(HttpClient.Version.HTTP_1_1, versionOf(h2.adminUrl("/apisix/admin/routes")),
                    "the Admin API stays HTTP/1.1, as APISIX's");
        }
    }
}
