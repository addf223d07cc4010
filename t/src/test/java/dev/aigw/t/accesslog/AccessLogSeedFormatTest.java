package dev.aigw.t.accesslog;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.SseReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 5 end to end with the seed format: one gateway configured with it in conf/config.yaml, an
 * ai-proxy route (client model overridden to gpt-4) and a plain proxied route, both to the mock LLM.
 * Every test finds its own line by request id, so the tests of the class share one log.
 */
class AccessLogSeedFormatTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .config(c -> c.set("nginx_config.http.access_log_format", SeedLine.FORMAT));

    private static final String CHAT = "{\"model\":\"gpt-3.5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM =
            "{\"model\":\"gpt-3.5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static GatewayProcess gw;
    private static MockLlm mock;

    @BeforeAll
    static void routes() {
        gw = ENV.gateway();
        mock = ENV.mock();
        String ai = "{\"uri\":\"/v1/chat/completions\",\"plugins\":{\"ai-proxy\":{\"provider\":\"openai\","
                + "\"auth\":{\"header\":{\"Authorization\":\"Bearer sk-test\"}},\"options\":{\"model\":\"gpt-4\"},"
                + "\"override\":{\"endpoint\":\"" + mock.url() + "\"}}}}";
        assertEquals(201, gw.admin("PUT", "/routes/ai", ai).status());
        String plain = "{\"uri\":\"/plain/*\",\"upstream\":{\"type\":\"roundrobin\",\"pass_host\":\"node\","
                + "\"nodes\":{\"" + mock.hostPort() + "\":1}}}";
        assertEquals(201, gw.admin("PUT", "/routes/plain", plain).status());
        // routes reach the data plane through the store's watch: wait (bounded) until both answer
        assertTrue(MockLlm.await(() -> !gw.http("GET", "/plain/ready", null).body().contains("Route Not Found")
                && !gw.http("POST", "/v1/chat/completions", "{}").body().contains("Route Not Found"),
                Duration.ofSeconds(10)), "routes active");
    }

    private static String seconds(long ms) {
        return String.format(java.util.Locale.ROOT, "%d.%03d", ms / 1000, ms % 1000);
    }

    private static void assertTimeWithin(SeedLine l, Instant before, Instant after) {
        Instant t = l.time().toInstant();
        assertFalse(t.isBefore(before.truncatedTo(ChronoUnit.SECONDS)), "time_local " + l.timeLocal() + " before the request");
        // the line is stamped when the server side finishes, which may be a moment after the client
        // read the last byte: allow that moment to cross a second boundary
        assertFalse(t.isAfter(after.plusSeconds(1)), "time_local " + l.timeLocal() + " after the response");
    }

    @Test
    void chatThroughAiProxyFillsEveryField() {
        mock.usage(31, 9);
        Instant before = Instant.now();
        HttpResult r = gw.http("POST", "/v1/chat/completions", CHAT, "User-Agent", "curl/8.6.0",
                "Referer", "http://example.test/page",
                "Authorization", "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8)));
        Instant after = Instant.now();
        assertEquals(200, r.status(), r.body());
        String id = r.header("X-Request-Id");
        assertNotNull(id, "X-Request-Id is returned");
        assertTrue(SeedLine.HEX_32.matcher(id).matches(), id);

        SeedLine l = SeedLine.parse(SeedLine.awaitLine(gw, id));
        assertEquals("127.0.0.1", l.remoteAddr());
        assertEquals("alice", l.remoteUser(), "user of the Basic Authorization header");
        assertTimeWithin(l, before, after);
        assertEquals("127.0.0.1:" + gw.config().nodePort(), l.httpHost());
        assertEquals("POST /v1/chat/completions HTTP/1.1", l.requestLine());
        assertEquals(200, l.status());
        assertEquals(r.body().getBytes(StandardCharsets.UTF_8).length, l.bodyBytesSent(), "body bytes the client got");
        assertTrue(SeedLine.SECONDS_3.matcher(l.requestTime()).matches(), "request_time in s.mmm: " + l.requestTime());
        assertEquals("http://example.test/page", l.referer());
        assertEquals("curl/8.6.0", l.userAgent());
        assertEquals(mock.hostPort(), l.upstreamAddr(), "the provider's real address");
        assertEquals("200", l.upstreamStatus());
        assertTrue(SeedLine.MILLIS.matcher(l.upstreamResponseTime()).matches(), "ms: " + l.upstreamResponseTime());
        assertEquals("http://" + mock.hostPort() + "/v1/chat/completions", l.upstreamUrl(), "the provider's real URI");
        assertEquals(id, l.requestId());
        assertEquals("ai_chat", l.requestType());
        assertTrue(SeedLine.MILLIS.matcher(l.ttft()).matches(), "ttft in ms: " + l.ttft());
        assertEquals("gpt-4", l.llmModel(), "the model actually used");
        assertEquals("gpt-3.5", l.requestLlmModel(), "the model the client asked for");
        assertEquals("31", l.promptTokens());
        assertEquals("9", l.completionTokens());

        long ttft = Long.parseLong(l.ttft());
        long upstream = Long.parseLong(l.upstreamResponseTime());
        assertTrue(ttft <= upstream, "ttft " + ttft + " <= upstream time " + upstream);
        assertTrue(upstream <= l.requestTimeMillis(), "upstream " + upstream + " ms <= request_time " + l.requestTime());

        // what the provider was actually asked for
        MockLlm.RecordedRequest seen = mock.lastRequest();
        assertEquals("/v1/chat/completions", seen.path());
        assertEquals("gpt-4", seen.json().getString("model"));
    }

    @Test
    void streamingChatFillsEveryFieldAndTtftComesBeforeTheEnd() {
        mock.usage(40, 12).chunks(5).chunkDelay(Duration.ofMillis(40));
        Instant before = Instant.now();
        SseReader.Result r = new SseReader().post(gw.url("/v1/chat/completions"), STREAM, Duration.ofSeconds(20),
                "User-Agent", "stream-client/1.0");
        Instant after = Instant.now();
        assertEquals(200, r.status(), r.rawBody());
        assertEquals("[DONE]", r.data().get(r.data().size() - 1));
        String id = r.header("X-Request-Id");
        assertNotNull(id);

        SeedLine l = SeedLine.parse(SeedLine.awaitLine(gw, id));
        assertEquals("127.0.0.1", l.remoteAddr());
        assertEquals("-", l.remoteUser());
        assertTimeWithin(l, before, after);
        assertEquals("POST /v1/chat/completions HTTP/1.1", l.requestLine());
        assertEquals(200, l.status());
        assertEquals(r.rawBody().getBytes(StandardCharsets.UTF_8).length, l.bodyBytesSent(),
                "every streamed byte counted");
        assertEquals("-", l.referer());
        assertEquals("stream-client/1.0", l.userAgent());
        assertEquals(mock.hostPort(), l.upstreamAddr());
        assertEquals("200", l.upstreamStatus());
        assertEquals("http://" + mock.hostPort() + "/v1/chat/completions", l.upstreamUrl());
        assertEquals("ai_stream", l.requestType());
        assertEquals("gpt-4", l.llmModel());
        assertEquals("gpt-3.5", l.requestLlmModel());
        assertEquals("40", l.promptTokens(), "usage of the stream's usage chunk");
        assertEquals("12", l.completionTokens());

        long ttft = Long.parseLong(l.ttft());
        long upstream = Long.parseLong(l.upstreamResponseTime());
        // the mock waits 40 ms between its 9 events: the first token is ahead of the end by at least that much
        assertTrue(upstream - ttft >= 40, "ttft " + ttft + " ms well before the stream's end at " + upstream + " ms");
        assertTrue(upstream <= l.requestTimeMillis(), "upstream " + upstream + " <= request_time " + l.requestTime());
    }

    @Test
    void plainProxiedRouteIsTraditionalHttpWithoutLlmFields() {
        HttpResult r = gw.http("POST", "/plain/chat/completions?x=1", CHAT, "User-Agent", "plain/1");
        assertEquals(200, r.status(), r.body());
        SeedLine l = SeedLine.parse(SeedLine.awaitLine(gw, r.header("X-Request-Id")));
        assertEquals("POST /plain/chat/completions?x=1 HTTP/1.1", l.requestLine());
        assertEquals(200, l.status());
        assertEquals(r.body().getBytes(StandardCharsets.UTF_8).length, l.bodyBytesSent());
        assertEquals(mock.hostPort(), l.upstreamAddr());
        assertEquals("200", l.upstreamStatus());
        assertTrue(SeedLine.MILLIS.matcher(l.upstreamResponseTime()).matches(), l.upstreamResponseTime());
        assertEquals("http://" + mock.hostPort() + "/plain/chat/completions?x=1", l.upstreamUrl());
        assertEquals("traditional_http", l.requestType());
        // the mock answered with usage and a model, but only ai-proxy reads them
        assertEquals("-", l.ttft());
        assertEquals("-", l.llmModel());
        assertEquals("-", l.requestLlmModel());
        assertEquals("-", l.promptTokens());
        assertEquals("-", l.completionTokens());
    }

    @Test
    void unmatchedRequestIsLoggedWithDashesForTheUpstream() {
        HttpResult r = gw.http("GET", "/nothing/here", null);
        assertEquals(404, r.status());
        SeedLine l = SeedLine.parse(SeedLine.awaitLine(gw, r.header("X-Request-Id")));
        assertEquals(404, l.status());
        assertEquals("-", l.upstreamAddr());
        assertEquals("-", l.upstreamStatus());
        assertEquals("-", l.upstreamResponseTime());
        assertEquals("traditional_http", l.requestType());
    }

    @Test
    void clientRequestIdIsKeptAndReturned() {
        String mine = "client-" + UUID.randomUUID();
        HttpResult r = gw.http("POST", "/v1/chat/completions", CHAT, "X-Request-Id", mine);
        assertEquals(200, r.status(), r.body());
        assertEquals(mine, r.header("X-Request-Id"));
        assertEquals(mine, SeedLine.parse(SeedLine.awaitLine(gw, mine)).requestId());

        HttpResult other = gw.http("POST", "/v1/chat/completions", CHAT);
        String generated = other.header("X-Request-Id");
        assertNotEquals(r.header("X-Request-Id"), generated, "a fresh id per request");
        assertTrue(SeedLine.HEX_32.matcher(generated).matches(), generated);
    }

    @Test
    void userAgentWithQuotesAndLineBreaksCannotBreakTheLine() {
        String id = "esc-" + UUID.randomUUID();
        // a quote and fake fields, a backslash, a tab and UTF-8; the HTTP codec refuses other control
        // bytes (and bare CR / LF), and a folded header line (obs-fold) is refused with 400 (see below)
        String ua = "evil\" 200 0 \"forged\\agent\tcaf\u00e9";
        byte[] head = ("GET /plain/esc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: " + id + "\r\n"
                + "Connection: close\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] uaBytes = ("User-Agent: " + ua + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] req = new byte[head.length + uaBytes.length];
        System.arraycopy(head, 0, req, 0, head.length);
        System.arraycopy(uaBytes, 0, req, head.length, uaBytes.length);
        String answer = SeedLine.rawExchange(gw.config().nodePort(), req);
        assertTrue(answer.startsWith("HTTP/1.1 "), answer);

        String line = SeedLine.awaitLine(gw, id);
        SeedLine l = SeedLine.parse(line); // the quotes still pair up: nothing was forged
        assertEquals("evil\\x22 200 0 \\x22forged\\x5Cagent\\x09caf\\xC3\\xA9", l.userAgent());
        assertEquals(ua, SeedLine.unescape(l.userAgent()), "the escaped value reads back as sent");
        assertFalse(line.contains("\n") || line.contains("\r"));
    }

    @Test
    void aFoldedHeaderLineIsRefusedAndLoggedAsOneEntry() {
        // obs-fold that tries to start a second entry: 400 as nginx answers, one line in the log
        String path = "/plain/fold-" + UUID.randomUUID();
        byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a\r\n"
                + " 1.2.3.4 - - [01/Jan/2000:00:00:00 +0000] \"GET /forged\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String answer = SeedLine.rawExchange(gw.config().nodePort(), req);
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        String needle = "\"GET " + path + " HTTP/1.1\" 400 ";
        assertTrue(MockLlm.await(() -> gw.accessLogLines().stream().anyMatch(x -> x.contains(needle)),
                Duration.ofSeconds(10)), "a 400 line for " + path + ":\n" + gw.accessLog());
        // counted by content, not by the file's length: other tests' lines may still be landing
        List<String> after = gw.accessLogLines();
        assertEquals(1, after.stream().filter(x -> x.contains(path)).count(), "exactly one entry for the request");
        assertTrue(after.stream().noneMatch(x -> x.startsWith("1.2.3.4") || x.startsWith(" ")), "no forged entry");
    }

    @Test
    void requestRefusedByTheHttpCodecIsStillLogged() {
        String path = "/bad-header-" + UUID.randomUUID();
        String answer = SeedLine.rawExchange(gw.config().nodePort(), ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "User-Agent: a\u0001b\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        String needle = "\"GET " + path + " HTTP/1.1\" 400 ";
        assertTrue(MockLlm.await(() -> gw.accessLogLines().stream().anyMatch(l -> l.contains(needle)),
                Duration.ofSeconds(10)), "a 400 line for " + path + ":\n" + gw.accessLog());
        SeedLine l = SeedLine.parse(gw.accessLogLines().stream().filter(x -> x.contains(needle)).findFirst().orElseThrow());
        assertEquals("127.0.0.1", l.remoteAddr());
        assertTrue(SeedLine.HEX_32.matcher(l.requestId()).matches());
        assertEquals("-", l.upstreamAddr());
    }

    @Test
    void clientAbortMidStreamIsLoggedAs499() {
        mock.chunks(40).chunkDelay(Duration.ofMillis(50));
        String id = "abort-" + UUID.randomUUID();
        HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/v1/chat/completions")))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .header("X-Request-Id", id)
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build();
        SseReader.Result r = new SseReader().read(req, 3);
        assertEquals(3, r.events().size(), "left after three events");
        assertTrue(mock.awaitClientDisconnect(Duration.ofSeconds(10)), "the gateway cancelled the provider call");

        SeedLine l = SeedLine.parse(SeedLine.awaitLine(gw, id));
        assertEquals(499, l.status(), "nginx's status for a client that closed the connection");
        assertEquals("ai_stream", l.requestType());
        assertEquals("200", l.upstreamStatus(), "the provider had answered");
        assertEquals(mock.hostPort(), l.upstreamAddr());
        assertTrue(l.bodyBytesSent() > 0, "the events sent before the abort are counted");
        assertTrue(Long.parseLong(l.ttft()) <= l.requestTimeMillis());
    }

    @Test
    void movedLogFileIsReopenedAndGetsTheNextLine() throws IOException {
        HttpResult first = gw.http("GET", "/plain/rotate-1", null);
        SeedLine.awaitLine(gw, first.header("X-Request-Id"));
        Path log = gw.accessLogFile();
        Path rotated = log.resolveSibling("access.log.1");
        Files.move(log, rotated);
        try {
            HttpResult second = gw.http("GET", "/plain/rotate-2", null);
            String id = second.header("X-Request-Id");
            SeedLine.awaitLine(gw, id); // in the new file at the old path
            String old = Files.readString(rotated, StandardCharsets.UTF_8);
            assertTrue(old.contains(first.header("X-Request-Id")));
            assertFalse(old.contains(id), "nothing written to the moved file after the move");

            // a deleted file is recreated too
            Files.delete(log);
            HttpResult third = gw.http("GET", "/plain/rotate-3", null);
            SeedLine.awaitLine(gw, third.header("X-Request-Id"));
        } finally {
            Files.deleteIfExists(rotated);
        }
    }

    @Test
    void tenThousandRequestsGiveTenThousandLines() throws Exception {
        int n = 10_000;
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Semaphore inFlight = new Semaphore(16);
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicInteger ok = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (!inFlight.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new AssertionError("a request did not finish within 30 s");
            }
            // unmatched (the gateway answers 404 itself): the volume through the log is what counts here
            HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/load?i=" + i)))
                    .timeout(Duration.ofSeconds(30)).GET().build();
            all.add(client.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, err) -> {
                inFlight.release();
                if (err != null) {
                    errors.add(err);
                } else {
                    resp.headers().firstValue("X-Request-Id").ifPresent(ids::add);
                    ok.incrementAndGet();
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(60, TimeUnit.SECONDS);
        assertTrue(errors.isEmpty(), errors.size() + " requests failed, first: " + errors.peek());
        assertEquals(n, ok.get());
        assertEquals(n, new HashSet<>(ids).size(), "one distinct id per request");

        // this test's lines, by their path: other tests' lines may still be landing
        MockLlm.await(() -> loadLines().size() >= n, Duration.ofSeconds(30));
        List<String> lines = loadLines();
        assertEquals(n, lines.size(), "one line per request, none lost, none doubled");
        Set<String> logged = new HashSet<>();
        for (String line : lines) {
            logged.add(SeedLine.parse(line).requestId());
        }
        assertEquals(new HashSet<>(ids), logged, "every request's own line");
        assertFalse(gw.errorLog().contains("access log queue full"), "no drops reported");
    }

    private static List<String> loadLines() {
        return gw.accessLogLines().stream().filter(x -> x.contains("\"GET /load?i=")).toList();
    }
}
