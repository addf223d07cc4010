package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.Ports;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Route matching (uri, uris, methods, hosts, priority, vars, nested {@code post_arg}) and HTTP upstream
 * proxying (echo, upstream_id, 502, 504, 50 MiB streamed both ways). Every matching route sends its
 * own id as the upstream Host ({@code pass_host: rewrite}), which the backend echoes in
 * {@code X-Echo-Host}: that is how a test sees which route matched.
 */
abstract class RoutingCases extends StoreTestBase {

    private static final long BIG = 50L * 1024 * 1024;

    @BeforeAll
    void putRoutes() {
        route("m-exact", "\"uri\":\"/m/exact\"");
        route("m-prefix", "\"uri\":\"/m/prefix/*\"");
        route("m-uris", "\"uris\":[\"/m/u1\",\"/m/u2\"]");
        route("m-get", "\"uri\":\"/m/method\",\"methods\":[\"GET\"]");
        route("m-post", "\"uri\":\"/m/method\",\"methods\":[\"POST\",\"PUT\"]");
        route("m-host", "\"uri\":\"/m/host\",\"hosts\":[\"api.example.com\"]");
        route("m-wild", "\"uri\":\"/m/host\",\"hosts\":[\"*.wild.test\"]");
        route("m-prio-high", "\"uri\":\"/m/prio\",\"priority\":10");
        route("m-prio-low", "\"uri\":\"/m/prio\",\"priority\":1");
        route("m-vars", "\"uri\":\"/m/vars\",\"priority\":5,"
                + "\"vars\":[[\"arg_tier\",\"==\",\"gold\"],[\"http_x_team\",\"~~\",\"^ai-\"]]");
        route("m-vars-any", "\"uri\":\"/m/vars\"");
        route("m-nested", "\"uri\":\"/m/chat\",\"methods\":[\"POST\"],\"priority\":5,"
                + "\"vars\":[[\"post_arg.model.name\",\"==\",\"gpt-4\"]]");
        route("m-flat", "\"uri\":\"/m/chat\",\"methods\":[\"POST\"],\"priority\":3,"
                + "\"vars\":[[\"post_arg.user\",\"==\",\"alice\"]]");
        route("m-chat-any", "\"uri\":\"/m/chat\",\"methods\":[\"POST\"]");

        put("/routes/p-echo", "{\"uri\":\"/p/echo/*\",\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\""
                + backend.node(0) + "\":1}}}");
        put("/upstreams/u-main", upstream(0, "u-main"));
        put("/routes/p-by-id", "{\"uri\":\"/p/by-id\",\"upstream_id\":\"u-main\"}");
        put("/routes/p-dead", "{\"uri\":\"/p/dead\",\"upstream\":{\"type\":\"roundrobin\",\"retries\":0,"
                + "\"nodes\":{\"127.0.0.1:" + Ports.free() + "\":1}}}");
        put("/routes/p-slow", "{\"uri\":\"/slow/*\",\"upstream\":{\"type\":\"roundrobin\",\"retries\":0,"
                + "\"timeout\":{\"connect\":2,\"send\":2,\"read\":1},\"nodes\":{\"" + backend.node(0) + "\":1}}}");
        put("/routes/p-stream", "{\"uris\":[\"/upload/*\",\"/download/*\"],\"upstream\":{\"type\":\"roundrobin\","
                + "\"nodes\":{\"" + backend.node(0) + "\":1}}}");
        // the last route put is served: all before it are in the table too (one ordered store)
        put("/routes/ready", "{\"uri\":\"/ready\",\"upstream\":" + upstream(0, "ready") + "}");
        awaitServedBy("/ready", "ready");
    }

    private void route(String id, String conditions) {
        put("/routes/" + id, "{" + conditions + ",\"upstream\":" + upstream(0, id) + "}");
    }

    private String servedBy(String method, String path, String body, String... headers) {
        HttpResult r = gw.http(method, path, body, headers);
        if (r.status() == 404) {
            return "404";
        }
        assertEquals(200, r.status(), method + " " + path + ": " + r);
        return r.header("X-Echo-Host");
    }

    // ------------------------------------------------------------------ matching

    @Test
    void uriExactPrefixAndUris() {
        assertEquals("m-exact", servedBy("GET", "/m/exact", null));
        assertEquals("404", servedBy("GET", "/m/exact/more", null), "an exact uri does not match a longer path");
        assertEquals("404", servedBy("GET", "/m/exac", null));
        assertEquals("m-prefix", servedBy("GET", "/m/prefix/a/b/c", null));
        assertEquals("m-prefix", servedBy("GET", "/m/prefix/", null));
        assertEquals("m-uris", servedBy("GET", "/m/u1", null));
        assertEquals("m-uris", servedBy("GET", "/m/u2?x=1", null), "the query string is not part of the uri");
        assertEquals("404", servedBy("GET", "/m/u3", null));
    }

    @Test
    void methods() {
        assertEquals("m-get", servedBy("GET", "/m/method", null));
        assertEquals("m-post", servedBy("POST", "/m/method", "{}"));
        assertEquals("m-post", servedBy("PUT", "/m/method", "{}"));
        assertEquals("404", servedBy("DELETE", "/m/method", null));
    }

    @Test
    void hostsExactAndWildcard() {
        int port = gw.config().nodePort();
        RawHttp.Response exact = RawHttp.get(port, "/m/host", "api.example.com");
        assertEquals(200, exact.status(), exact.raw());
        assertEquals("m-host", exact.header("X-Echo-Host"));
        RawHttp.Response withPort = RawHttp.get(port, "/m/host", "api.example.com:" + port);
        assertEquals("m-host", withPort.header("X-Echo-Host"), "the port of Host is not part of the host");
        RawHttp.Response wild = RawHttp.get(port, "/m/host", "eu.wild.test");
        assertEquals("m-wild", wild.header("X-Echo-Host"), wild.raw());
        RawHttp.Response other = RawHttp.get(port, "/m/host", "other.example.com");
        assertEquals(404, other.status(), other.raw());
    }

    @Test
    void priorityDecidesBetweenEqualUris() {
        assertEquals("m-prio-high", servedBy("GET", "/m/prio", null));
        HttpResult r = gw.admin("PATCH", "/routes/m-prio-high", "{\"priority\":0}");
        assertEquals(200, r.status(), r.toString());
        try {
            awaitServedBy("/m/prio", "m-prio-low");
        } finally {
            gw.admin("PATCH", "/routes/m-prio-high", "{\"priority\":10}");
            awaitServedBy("/m/prio", "m-prio-high");
        }
    }

    @Test
    void varsOnArgsAndHeaders() {
        assertEquals("m-vars", servedBy("GET", "/m/vars?tier=gold", null, "X-Team", "ai-research"));
        assertEquals("m-vars-any", servedBy("GET", "/m/vars?tier=gold", null), "both conditions must hold");
        assertEquals("m-vars-any", servedBy("GET", "/m/vars?tier=silver", null, "X-Team", "ai-research"));
        assertEquals("m-vars-any", servedBy("GET", "/m/vars?tier=gold", null, "X-Team", "web-ai"),
                "~~ is a regex match: ^ai- does not match web-ai");
    }

    @Test
    void varsOnNestedPostArgAndTheBodyStillReachesTheUpstream() {
        String nested = "{\"model\":{\"name\":\"gpt-4\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResult r = gw.http("POST", "/m/chat", nested);
        assertEquals(200, r.status(), r.toString());
        assertEquals("m-nested", r.header("X-Echo-Host"));
        JsonObject echo = r.jsonObject();
        assertEquals(nested.length(), echo.getInteger("body_length"), "the body read for matching is proxied whole");
        assertEquals(nested, echo.getString("body"));

        assertEquals("m-flat", servedBy("POST", "/m/chat", "{\"model\":{\"name\":\"gpt-3\"},\"user\":\"alice\"}"));
        assertEquals("m-chat-any", servedBy("POST", "/m/chat", "{\"model\":\"gpt-4\"}"),
                "post_arg.model.name of a string model is missing");
        assertEquals("m-chat-any", servedBy("POST", "/m/chat", "not json"));
    }

    // ------------------------------------------------------------------ proxying

    @Test
    void proxiesMethodUriHeadersAndBody() {
        HttpResult get = gw.http("GET", "/p/echo/a/b?x=1&y=two", null, "X-Custom", "v1");
        assertEquals(200, get.status(), get.toString());
        JsonObject e = get.jsonObject();
        assertEquals("GET", e.getString("method"));
        assertEquals("/p/echo/a/b?x=1&y=two", e.getString("uri"));
        assertEquals("v1", e.getJsonObject("headers").getString("x-custom"));
        assertEquals("127.0.0.1:" + gw.config().nodePort(), e.getString("host"), "pass_host pass keeps the client's Host");
        assertEquals(String.valueOf(backend.port()), get.header("X-Backend-Port"), "upstream response headers pass");

        String body = "b".repeat(10_000);
        HttpResult post = gw.http("POST", "/p/echo/post", body, "Content-Type", "text/plain");
        assertEquals(200, post.status());
        assertEquals("POST", post.jsonObject().getString("method"));
        assertEquals(10_000, post.jsonObject().getInteger("body_length"));
        assertEquals(body, post.jsonObject().getString("body"));
    }

    @Test
    void upstreamIdAndItsChangesApply() {
        assertEquals("u-main", servedBy("GET", "/p/by-id", null));
        put("/upstreams/u-main", upstream(0, "u-main-v2"));
        try {
            awaitServedBy("/p/by-id", "u-main-v2");
        } finally {
            put("/upstreams/u-main", upstream(0, "u-main"));
            awaitServedBy("/p/by-id", "u-main");
        }
    }

    @Test
    void unreachableUpstreamIs502() {
        HttpResult r = gw.http("GET", "/p/dead", null);
        assertEquals(502, r.status(), r.toString());
        assertNotNull(r.jsonObject().getString("error_msg"), r.toString());
    }

    @Test
    void upstreamReadTimeoutIs504() {
        HttpResult r = gw.http("GET", "/slow/4000", null);
        assertEquals(504, r.status(), r.toString());
        assertNotNull(r.jsonObject().getString("error_msg"), r.toString());
        // and a request within the timeout is fine
        HttpResult ok = gw.http("GET", "/slow/10", null);
        assertEquals(200, ok.status(), ok.toString());
        assertEquals("slow done", ok.body());
    }

    @Test
    void upload50MiBStreamsThrough() throws Exception {
        PatternStream body = new PatternStream(BIG, 40L * 1024 * 1024, () -> backend.uploadBytes().get() >= 1024 * 1024);
        HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/upload/big")))
                .timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), BIG))
                .build();
        HttpResponse<String> resp = gw.httpClient().send(req, HttpResponse.BodyHandlers.ofString());
        assertTrue(body.conditionSeen, "the backend received the first MiB before the client sent its 40th:"
                + " the gateway does not buffer the whole upload");
        assertEquals(200, resp.statusCode(), resp.body());
        JsonObject r = new JsonObject(resp.body());
        assertEquals(BIG, r.getLong("bytes"));
        assertEquals(body.crc.getValue(), r.getLong("crc"), "every byte arrived, in order");
    }

    @Test
    void download50MiBStreamsThrough() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/download/" + BIG)))
                .timeout(Duration.ofSeconds(90)).GET().build();
        HttpResponse<InputStream> resp = gw.httpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, resp.statusCode());
        CRC32 expected = new CRC32();
        CRC32 got = new CRC32();
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = resp.body()) {
            // the backend holds back its second half until we have seen the first MiB
            while (n < 1024 * 1024) {
                int r = in.read(buf);
                assertTrue(r > 0, "the download ended after " + n + " bytes");
                got.update(buf, 0, r);
                n += r;
            }
            assertTrue(!backend.downloadFinished().isDone(),
                    "the client got the first bytes before the backend finished sending");
            backend.releaseDownload();
            int r;
            while ((r = in.read(buf)) > 0) {
                got.update(buf, 0, r);
                n += r;
            }
        }
        assertEquals(BIG, n);
        for (long i = 0; i < BIG; i++) {
            expected.update(Backend.pattern(i));
        }
        assertEquals(expected.getValue(), got.getValue(), "every byte arrived, in order");
        backend.downloadFinished().get(10, TimeUnit.SECONDS);
    }

    /**
     * {@code size} bytes of {@link Backend#pattern}; at {@code pauseAt} it waits (at most 30 s) until
     * {@code condition} holds and records whether it did.
     */
    private static final class PatternStream extends InputStream {
        private final long size;
        private final long pauseAt;
        private final java.util.function.BooleanSupplier condition;
        final CRC32 crc = new CRC32();
        volatile boolean conditionSeen;
        private boolean paused;
        private long pos;

        PatternStream(long size, long pauseAt, java.util.function.BooleanSupplier condition) {
            this.size = size;
            this.pauseAt = pauseAt;
            this.condition = condition;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            if (!paused && pos >= pauseAt) {
                paused = true;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0) {
                    sleep(20);
                }
                conditionSeen = condition.getAsBoolean();
            }
            int n = (int) Math.min(len, size - pos);
            if (!paused) {
                n = (int) Math.min(n, pauseAt - pos);
            }
            for (int i = 0; i < n; i++) {
                b[off + i] = Backend.pattern(pos + i);
            }
            crc.update(b, off, n);
            pos += n;
            return n;
        }
    }
}
