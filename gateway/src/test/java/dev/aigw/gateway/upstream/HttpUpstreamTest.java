package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.testkit.Ports;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static dev.aigw.gateway.upstream.ProxyHarness.TIMEOUT_S;
import static dev.aigw.gateway.upstream.ProxyHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpUpstreamTest {

    private static final int MIB = 1024 * 1024;

    private static Vertx vertx;
    private static HttpClient client;
    private static io.vertx.core.Context loop;
    private Upstreams upstreams;
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<ProxyHarness> harnesses = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
        loop = vertx.getOrCreateContext();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        await(vertx.close());
    }

    @AfterEach
    void cleanup() throws Exception {
        for (ProxyHarness h : harnesses) {
            h.close();
        }
        for (HttpServer s : servers) {
            await(s.close());
        }
        if (upstreams != null) {
            await(upstreams.close());
        }
    }

    // ------------------------------------------------------------------ helpers

    private int backend(Handler<HttpServerRequest> handler) throws Exception {
        int port = Ports.free();
        HttpServer s = vertx.createHttpServer().requestHandler(handler);
        await(s.listen(port, "127.0.0.1"));
        servers.add(s);
        return port;
    }

    /** A backend answering its own name and recording the headers it received. */
    private int namedBackend(String name, List<MultiMap> seen) throws Exception {
        return backend(req -> {
            if (seen != null) {
                seen.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            }
            req.body().onComplete(b -> req.response().putHeader("X-Backend", name).end(name));
        });
    }

    private ProxyHarness gateway(JsonObject upstream) throws Exception {
        return gateway(upstream, null);
    }

    private ProxyHarness gateway(JsonObject upstream, Consumer<RequestContext> before) throws Exception {
        if (upstreams == null) {
            upstreams = new Upstreams(vertx, 1000);
        }
        ProxyHarness h = ProxyHarness.start(vertx, upstreams.get(upstream), before);
        harnesses.add(h);
        return h;
    }

    private record Reply(int status, MultiMap headers, String body) {
    }

    private Reply send(int port, HttpMethod method, String uri, MultiMap headers, String body) throws Exception {
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(port).setMethod(method).setURI(uri);
        return ProxyHarness.onLoop(loop, () -> client.request(o).compose(req -> {
            if (headers != null) {
                req.headers().addAll(headers);
            }
            return (body == null ? req.send() : req.send(body))
                    .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())));
        }));
    }

    private Reply get(int port, String uri) throws Exception {
        return send(port, HttpMethod.GET, uri, null, null);
    }

    private static JsonObject nodes(int... ports) {
        JsonObject n = new JsonObject();
        for (int p : ports) {
            n.put("127.0.0.1:" + p, 1);
        }
        return new JsonObject().put("type", "roundrobin").put("nodes", n);
    }

    // ------------------------------------------------------------------ balancing

    @Test
    void weightedRoundRobinFollowsWeights() throws Exception {
        int a = namedBackend("a", null);
        int b = namedBackend("b", null);
        ProxyHarness gw = gateway(new JsonObject().put("type", "roundrobin")
                .put("nodes", new JsonObject().put("127.0.0.1:" + a, 3).put("127.0.0.1:" + b, 1)));
        Map<String, Integer> counts = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Reply r = get(gw.port, "/rr");
            assertEquals(200, r.status);
            counts.merge(r.body, 1, Integer::sum);
            order.add(r.body);
        }
        assertEquals(30, counts.get("a"));
        assertEquals(10, counts.get("b"));
        // smooth: b is never starved for more than one cycle of 4
        for (int i = 0; i + 4 <= order.size(); i += 4) {
            assertTrue(order.subList(i, i + 4).contains("b"), "each cycle of 4 has one b: " + order);
        }
    }

    @Test
    void smoothSequenceMatchesNginx() {
        List<UpstreamDefinition.Node> nodes = List.of(new UpstreamDefinition.Node("a", 1, 5, 0),
                new UpstreamDefinition.Node("b", 1, 1, 0), new UpstreamDefinition.Node("c", 1, 1, 0));
        int[] seq = RoundRobinBalancer.sequence(nodes, new int[] {0, 1, 2});
        // nginx's documented order for weights 5,1,1: a a b a c a a
        assertEquals(List.of(0, 0, 1, 0, 2, 0, 0), java.util.Arrays.stream(seq).boxed().toList());
    }

    @Test
    void chashIsStickyPerKey() throws Exception {
        int a = namedBackend("a", null);
        int b = namedBackend("b", null);
        JsonObject up = nodes(a, b).put("type", "chash").put("hash_on", "header").put("key", "X-User");
        ProxyHarness gw = gateway(up);
        Set<String> backends = new HashSet<>();
        // CRC32 of keys as alike as "user-N" clusters on the ring: with 20 of them, about one pair of
        // random node ports in 130 sends all to one node; with 200, none did in 3000 tries
        for (int user = 0; user < 200; user++) {
            String first = null;
            for (int i = 0; i < 5; i++) {
                Reply r = send(gw.port, HttpMethod.GET, "/c", MultiMap.caseInsensitiveMultiMap().add("X-User", "user-" + user), null);
                if (first == null) {
                    first = r.body;
                }
                assertEquals(first, r.body, "user-" + user + " must stick to one node");
            }
            backends.add(first);
        }
        assertEquals(Set.of("a", "b"), backends, "200 keys spread over both nodes");
    }

    // ------------------------------------------------------------------ headers

    @Test
    void passHostModes() throws Exception {
        List<MultiMap> seen = new CopyOnWriteArrayList<>();
        int a = namedBackend("a", seen);
        MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Host", "client.example:8080");

        ProxyHarness pass = gateway(nodes(a));
        send(pass.port, HttpMethod.GET, "/", h, null);
        assertEquals("client.example:8080", seen.get(0).get("Host"));

        ProxyHarness node = gateway(nodes(a).put("pass_host", "node"));
        send(node.port, HttpMethod.GET, "/", h, null);
        assertEquals("127.0.0.1:" + a, seen.get(1).get("Host"));

        ProxyHarness rewrite = gateway(nodes(a).put("pass_host", "rewrite").put("upstream_host", "svc.internal"));
        send(rewrite.port, HttpMethod.GET, "/", h, null);
        assertEquals("svc.internal", seen.get(2).get("Host"));

        // a plugin's choice wins over pass_host
        ProxyHarness forced = gateway(nodes(a).put("pass_host", "node").put("scheme", "http")
                .put("retries", 0), ctx -> ctx.proxyRequest().host("forced.example"));
        send(forced.port, HttpMethod.GET, "/", h, null);
        assertEquals("forced.example", seen.get(3).get("Host"));
    }

    @Test
    void hopByHopRemovedAndForwardedHeadersAdded() throws Exception {
        List<MultiMap> seen = new CopyOnWriteArrayList<>();
        int a = backend(req -> {
            seen.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response().putHeader("Keep-Alive", "timeout=5").putHeader("Proxy-Authenticate", "Basic")
                    .putHeader("X-Answer", "42").end("ok");
        });
        ProxyHarness gw = gateway(nodes(a));
        MultiMap h = MultiMap.caseInsensitiveMultiMap()
                .add("Host", "api.example:8443")
                .add("Keep-Alive", "timeout=9")
                .add("Proxy-Authorization", "Basic c2VjcmV0")
                .add("TE", "trailers")
                .add("X-Forwarded-For", "10.0.0.1")
                .add("X-Forwarded-Proto", "https")
                .add("X-Custom", "kept");
        Reply r = send(gw.port, HttpMethod.GET, "/h", h, null);
        assertEquals(200, r.status);
        assertNull(r.headers.get("Keep-Alive"));
        assertNull(r.headers.get("Proxy-Authenticate"));
        assertEquals("42", r.headers.get("X-Answer"));

        MultiMap got = seen.get(0);
        assertNull(got.get("Keep-Alive"));
        assertNull(got.get("Proxy-Authorization"));
        assertNull(got.get("TE"));
        assertEquals("kept", got.get("X-Custom"));
        assertEquals("10.0.0.1, 127.0.0.1", got.get("X-Forwarded-For"));
        assertEquals("127.0.0.1", got.get("X-Real-IP"));
        assertEquals("http", got.get("X-Forwarded-Proto"), "the client's own X-Forwarded-Proto is not trusted");
        assertEquals("api.example:8443", got.get("X-Forwarded-Host"));
        assertEquals("8443", got.get("X-Forwarded-Port"));
    }

    // ------------------------------------------------------------------ streaming

    @Test
    void largeRequestBodyIsStreamed() throws Exception {
        long total = 50L * MIB;
        Promise<Void> backendSawBytes = Promise.promise();
        CompletableFuture<Long> backendTotal = new CompletableFuture<>();
        int a = backend(req -> {
            AtomicLong n = new AtomicLong();
            req.handler(chunk -> {
                n.addAndGet(chunk.length());
                backendSawBytes.tryComplete();
            });
            req.endHandler(v -> {
                backendTotal.complete(n.get());
                req.response().end(Long.toString(n.get()));
            });
        });
        ProxyHarness gw = gateway(nodes(a));
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setMethod(HttpMethod.POST).setURI("/up");
        String answer = ProxyHarness.onLoop(loop, () -> client.request(o).compose(req -> {
            req.putHeader("Content-Length", Long.toString(total));
            Future<HttpClientResponse> resp = req.response();
            // send the first MiB, then the rest only once the backend has seen bytes: a gateway that
            // buffered the whole body would never forward anything and this would time out
            writeChunks(req, chunk, MIB, () -> backendSawBytes.future().onSuccess(v ->
                    writeChunks(req, chunk, total - MIB, req::end)));
            return resp.compose(r -> r.body().map(Buffer::toString));
        }));
        assertEquals(Long.toString(total), answer);
        assertEquals(total, backendTotal.get(TIMEOUT_S, TimeUnit.SECONDS));
    }

    /** Writes {@code bytes} bytes in chunks, honouring back-pressure, then runs {@code then}. */
    private static void writeChunks(HttpClientRequest req, Buffer chunk, long bytes, Runnable then) {
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(chunk.length(), left);
            req.write(n == chunk.length() ? chunk : chunk.slice(0, n));
            left -= n;
            if (req.writeQueueFull()) {
                long rest = left;
                req.drainHandler(v -> writeChunks(req, chunk, rest, then));
                return;
            }
        }
        then.run();
    }

    @Test
    void largeResponseBodyIsStreamed() throws Exception {
        long total = 50L * MIB;
        Promise<Void> clientSawBytes = Promise.promise();
        CompletableFuture<Boolean> backendEnded = new CompletableFuture<>();
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        int a = backend(req -> {
            var resp = req.response().putHeader("Content-Length", Long.toString(total));
            // first MiB, then wait for the client to see bytes before producing the rest
            writeResp(resp, chunk, MIB, () -> clientSawBytes.future().onSuccess(v ->
                    writeResp(resp, chunk, total - MIB, () -> resp.end().onSuccess(x -> backendEnded.complete(true)))));
        });
        ProxyHarness gw = gateway(nodes(a));
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI("/down");
        long received = ProxyHarness.onLoop(loop, () -> client.request(o).compose(HttpClientRequest::send).compose(resp -> {
            Promise<Long> p = Promise.promise();
            AtomicLong n = new AtomicLong();
            resp.handler(b -> {
                n.addAndGet(b.length());
                clientSawBytes.tryComplete();
            });
            resp.endHandler(v -> p.complete(n.get()));
            resp.exceptionHandler(p::tryFail);
            return p.future();
        }));
        assertEquals(total, received);
        assertTrue(backendEnded.get(TIMEOUT_S, TimeUnit.SECONDS));
    }

    private static void writeResp(io.vertx.core.http.HttpServerResponse resp, Buffer chunk, long bytes, Runnable then) {
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(chunk.length(), left);
            resp.write(n == chunk.length() ? chunk : chunk.slice(0, n));
            left -= n;
            if (resp.writeQueueFull()) {
                long rest = left;
                resp.drainHandler(v -> writeResp(resp, chunk, rest, then));
                return;
            }
        }
        then.run();
    }

    // ------------------------------------------------------------------ failures

    @Test
    void connectionRefusedIs502() throws Exception {
        int dead = Ports.free();
        ProxyHarness gw = gateway(nodes(dead).put("id", "u1"));
        Reply r = get(gw.port, "/x");
        assertEquals(502, r.status);
        assertEquals("application/json", r.headers.get("Content-Type"));
        JsonObject body = new JsonObject(r.body);
        assertNotNull(body.getString("error_msg"));
        assertFalse(body.getString("error_msg").contains("127.0.0.1"), "no internals in the error body");
        RequestContext ctx = gw.nextContext();
        assertEquals("127.0.0.1:" + dead, ctx.varString("upstream_addr"));
        assertEquals("502", ctx.varString("upstream_status"));
    }

    @Test
    void readTimeoutIs504() throws Exception {
        int slow = backend(req -> {
            // never answers
        });
        ProxyHarness gw = gateway(nodes(slow).put("timeout",
                new JsonObject().put("connect", 1).put("send", 1).put("read", 0.3)));
        Reply r = get(gw.port, "/slow");
        assertEquals(504, r.status);
        assertNotNull(new JsonObject(r.body).getString("error_msg"));
    }

    @Test
    void retriesOnTheNextNodeWhenOneIsDown() throws Exception {
        int dead = Ports.free();
        int alive = namedBackend("alive", null);
        ProxyHarness gw = gateway(nodes(dead, alive));
        boolean sawRetry = false;
        for (int i = 0; i < 4; i++) {
            Reply r = get(gw.port, "/r");
            assertEquals(200, r.status);
            assertEquals("alive", r.body);
            String addrs = gw.nextContext().varString("upstream_addr");
            if (addrs.contains(", ")) {
                assertEquals("127.0.0.1:" + dead + ", 127.0.0.1:" + alive, addrs);
                sawRetry = true;
            }
        }
        assertTrue(sawRetry, "round robin reached the dead node at least once in 4 requests");
    }

    @Test
    void noRetryWhenRetriesIsZero() throws Exception {
        int dead = Ports.free();
        int alive = namedBackend("alive", null);
        ProxyHarness gw = gateway(nodes(dead, alive).put("retries", 0));
        Set<Integer> statuses = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(get(gw.port, "/r").status);
        }
        assertEquals(Set.of(200, 502), statuses);
    }

    @Test
    void clientDisconnectResetsUpstreamRequest() throws Exception {
        CompletableFuture<Boolean> backendSawClose = new CompletableFuture<>();
        int a = backend(req -> {
            req.response().setChunked(true).write("first chunk");
            req.connection().closeHandler(v -> backendSawClose.complete(true));
            req.response().closeHandler(v -> backendSawClose.complete(true));
        });
        ProxyHarness gw = gateway(nodes(a));
        HttpClient oneShot = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
        try {
            RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI("/stream");
            ProxyHarness.onLoop(loop, () -> oneShot.request(o).compose(HttpClientRequest::send).compose(resp -> {
                Promise<Void> p = Promise.promise();
                resp.handler(b -> {
                    if (p.tryComplete()) {
                        resp.request().connection().close();
                    }
                });
                return p.future();
            }));
            assertTrue(backendSawClose.get(TIMEOUT_S, TimeUnit.SECONDS));
        } finally {
            await(oneShot.close());
        }
    }

    // ------------------------------------------------------------------ variables, pools

    @Test
    void upstreamVariablesAreSet() throws Exception {
        int a = namedBackend("a", null);
        ProxyHarness gw = gateway(nodes(a).put("pass_host", "node"));
        Reply r = get(gw.port, "/v?x=1");
        assertEquals(200, r.status);
        RequestContext ctx = gw.nextContext();
        assertEquals("127.0.0.1:" + a, ctx.varString("upstream_addr"));
        assertEquals("200", ctx.varString("upstream_status"));
        assertEquals("http", ctx.varString("upstream_scheme"));
        assertEquals("127.0.0.1:" + a, ctx.varString("upstream_host"));
        assertEquals("/v?x=1", ctx.varString("upstream_uri"));
        assertTrue(ctx.varString("upstream_response_time").matches("\\d+\\.\\d{3}"), ctx.varString("upstream_response_time"));
        assertTrue(ctx.var("apisix_upstream_response_time") instanceof Long);
    }

    @Test
    void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
        Set<String> clientPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int a = backend(req -> {
            clientPorts.add(req.remoteAddress().toString());
            req.response().end("ok");
        });
        ProxyHarness gw = gateway(nodes(a));
        for (int i = 0; i < 300; i++) {
            assertEquals("ok", get(gw.port, "/k" + i).body);
        }
        assertEquals(1, clientPorts.size(), "keep-alive: one pooled connection for sequential requests");
    }

    @Test
    void postBodyReadIntoMemoryIsSent() throws Exception {
        int a = backend(req -> req.body().onSuccess(b -> req.response().end("got:" + b)));
        ProxyHarness gw = gateway(nodes(a), ctx -> {
            // stands in for a plugin that read and replaced the body before proxying
            ctx.body(Buffer.buffer("replaced"));
            ctx.request().resume();
        });
        Reply r = send(gw.port, HttpMethod.POST, "/p", null, "original body");
        assertEquals("got:replaced", r.body);
    }

    @Test
    void samConfigurationSharesOnePool() {
        upstreams = new Upstreams(vertx, 1000);
        JsonObject one = new JsonObject().put("nodes", new JsonObject().put("127.0.0.1:1980", 1))
                .put("timeout", new JsonObject().put("connect", 6).put("send", 6).put("read", 6)).put("name", "x");
        JsonObject same = new JsonObject().put("timeout", new JsonObject().put("read", 6.0).put("send", 6).put("connect", 6))
                .put("nodes", new JsonObject().put("127.0.0.1:1980", 1)).put("name", "renamed");
        JsonObject other = one.copy().put("retries", 2);
        UpstreamHandler h1 = upstreams.get(one);
        UpstreamHandler h2 = upstreams.get(same);
        UpstreamHandler h3 = upstreams.get(other);
        assertTrue(h1 == h2, "same configuration, same handler and pool");
        assertFalse(h1 == h3);
        assertEquals(2, upstreams.size());
        upstreams.retainOnly(List.of(h3));
        assertEquals(1, upstreams.size());
        assertTrue(upstreams.get(other) == h3);
        assertFalse(upstreams.get(one) == h1, "a dropped configuration gets a new pool");
    }

    @Test
    void definitionParsesApisixForms() {
        UpstreamDefinition d = UpstreamDefinition.parse(new JsonObject()
                .put("nodes", new JsonArray().add(new JsonObject().put("host", "10.0.0.1").put("port", 8080).put("weight", 2))
                        .add(new JsonObject().put("host", "example.com").put("weight", 1)))
                .put("scheme", "https").put("timeout", new JsonObject().put("connect", 0.5).put("send", 2).put("read", 3)));
        assertEquals(2, d.nodes().size());
        assertEquals("10.0.0.1:8080", d.nodes().get(0).address());
        assertEquals(443, d.nodes().get(1).port(), "https default port");
        assertEquals(500, d.timeout().connectMs());
        assertEquals(1, d.retries(), "default retries = nodes - 1");
        assertEquals(UpstreamDefinition.PassHost.PASS, d.passHost());
        assertFalse(d.tlsVerify());
        UpstreamDefinition v6 = UpstreamDefinition.parse(new JsonObject().put("nodes", new JsonObject().put("[::1]:9000", 1)));
        assertEquals("::1", v6.nodes().get(0).host());
        assertEquals("[::1]:9000", v6.nodes().get(0).address());
        assertEquals(UpstreamDefinition.DEFAULT_TIMEOUT, v6.timeout());
    }
}
