package dev.aigw.gateway.context;

import dev.aigw.gateway.route.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoreVariablesTest {

    private static final List<String> NAMES = List.of(
            "remote_addr", "remote_port", "remote_user", "time_local", "time_iso8601", "msec",
            "request_line", "request", "request_method", "method", "uri", "request_uri", "args", "query_string",
            "is_args", "host", "http_host", "http_user_agent", "http_x_custom_header", "http_x_under",
            "http_x_multi", "http_missing", "sent_http_x_resp", "sent_http_content_length", "sent_http_missing",
            "arg_y", "arg_x", "arg_missing", "cookie_session", "cookie_other", "cookie_missing", "scheme",
            "server_protocol", "server_addr", "server_port", "status", "body_bytes_sent", "bytes_sent",
            "request_length", "request_time", "connection", "connection_requests", "apisix_request_id",
            "route_id", "route_name", "request_body", "post_arg.model", "post_arg.messages.1.role",
            "upstream_addr", "llm_model", "no_such_variable");

    private static CapturingServer server;

    @BeforeAll
    static void start() throws Exception {
        VariableRegistry registry = new VariableRegistry();
        CoreVariables.register(registry, ZoneOffset.UTC);
        server = new CapturingServer(registry);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void reset() {
        server.prepare(ctx -> { });
        server.onEnd(CoreVariablesTest::resolveAll);
    }

    private static Map<String, Object> resolveAll(RequestContext ctx) {
        Map<String, Object> m = new HashMap<>();
        for (String n : NAMES) {
            m.put(n, ctx.var(n));
        }
        return m;
    }

    private static String s(Map<String, Object> m, String name) {
        Object v = m.get(name);
        return v == null ? null : v.toString();
    }

    @Test
    void getRequestVariables() throws Exception {
        server.prepare(ctx -> {
            ctx.requestId("0123456789abcdef0123456789abcdef");
            ctx.route(new Route("r1", "chat route", null, List.of(), null, 1), List.of());
        });
        String auth = Base64.getEncoder().encodeToString("alice:s3cret:x".getBytes(StandardCharsets.UTF_8));
        String request = "GET /p/a%20b?x=1&y=hello%20w HTTP/1.1\r\n"
                + "Host: Example.COM:8080\r\n"
                + "User-Agent: curl/8.0\r\n"
                + "X-Custom-Header: custom\r\n"
                + "X_Under: underscored\r\n"
                + "X-Multi: a\r\n"
                + "X-Multi: b\r\n"
                + "Cookie: session=abc; other=2\r\n"
                + "Authorization: Basic " + auth + "\r\n"
                + "\r\n";
        long before = System.currentTimeMillis();
        RawHttp.Response resp;
        int clientPort;
        try (RawHttp client = new RawHttp(server.port())) {
            clientPort = client.localPort();
            resp = client.exchange(request + "");
            assertEquals(200, resp.status());
        }
        Map<String, Object> v = server.next();
        long after = System.currentTimeMillis();

        assertEquals("127.0.0.1", s(v, "remote_addr"));
        assertEquals(String.valueOf(clientPort), s(v, "remote_port"));
        assertEquals("127.0.0.1", s(v, "server_addr"));
        assertEquals(String.valueOf(server.port()), s(v, "server_port"));
        assertEquals("alice", s(v, "remote_user"));

        assertEquals("GET /p/a%20b?x=1&y=hello%20w HTTP/1.1", s(v, "request_line"));
        assertEquals("GET /p/a%20b?x=1&y=hello%20w HTTP/1.1", s(v, "request"));
        assertEquals("GET", s(v, "request_method"));
        assertEquals("GET", s(v, "method"));
        assertEquals("/p/a b", s(v, "uri"));
        assertEquals("/p/a%20b?x=1&y=hello%20w", s(v, "request_uri"));
        assertEquals("x=1&y=hello%20w", s(v, "args"));
        assertEquals("x=1&y=hello%20w", s(v, "query_string"));
        assertEquals("?", s(v, "is_args"));
        assertEquals("example.com", s(v, "host"));
        assertEquals("Example.COM:8080", s(v, "http_host"));
        assertEquals("curl/8.0", s(v, "http_user_agent"));
        assertEquals("custom", s(v, "http_x_custom_header"));
        assertEquals("underscored", s(v, "http_x_under"));
        assertEquals("a, b", s(v, "http_x_multi"));
        assertNull(v.get("http_missing"));
        assertEquals("v1", s(v, "sent_http_x_resp"));
        assertEquals("5", s(v, "sent_http_content_length"));
        assertNull(v.get("sent_http_missing"));
        assertEquals("hello w", s(v, "arg_y"));
        assertEquals("1", s(v, "arg_x"));
        assertNull(v.get("arg_missing"));
        assertEquals("abc", s(v, "cookie_session"));
        assertEquals("2", s(v, "cookie_other"));
        assertNull(v.get("cookie_missing"));
        assertEquals("http", s(v, "scheme"));
        assertEquals("HTTP/1.1", s(v, "server_protocol"));

        assertEquals("200", s(v, "status"));
        assertEquals("5", s(v, "body_bytes_sent"));
        // HTTP/1.1 with Content-Length: the estimate is the exact byte count the client received
        assertEquals(String.valueOf(resp.totalBytes()), s(v, "bytes_sent"));
        assertEquals(String.valueOf(request.length()), s(v, "request_length"));

        assertEquals("0123456789abcdef0123456789abcdef", s(v, "apisix_request_id"));
        assertEquals("r1", s(v, "route_id"));
        assertEquals("chat route", s(v, "route_name"));
        assertEquals("1", s(v, "connection_requests"));

        // times: nginx formats, UTC as registered, within the test's window
        String local = s(v, "time_local");
        assertTrue(local.matches("\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000"), local);
        long localMillis = ZonedDateTime.parse(local,
                DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)).toInstant().toEpochMilli();
        assertTrue(localMillis >= before / 1000 * 1000 && localMillis <= after, local);
        String iso = s(v, "time_iso8601");
        assertTrue(iso.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\+00:00"), iso);
        assertEquals(localMillis, OffsetDateTime.parse(iso).toInstant().toEpochMilli());
        String msec = s(v, "msec");
        assertTrue(msec.matches("\\d{10}\\.\\d{3}"), msec);
        long msecMillis = Long.parseLong(msec.replace(".", ""));
        assertTrue(msecMillis >= before && msecMillis <= after, msec);
        assertEquals(localMillis / 1000, msecMillis / 1000);
        String rt = s(v, "request_time");
        assertTrue(rt.matches("\\d+\\.\\d{3}"), rt);
        assertTrue(Double.parseDouble(rt) * 1000 <= after - before + 1, rt);

        assertNull(v.get("request_body"), "an empty GET body reads as nothing");
        assertNull(v.get("post_arg.model"));
        assertNull(v.get("upstream_addr"), "set by proxies, not by the core");
        assertNull(v.get("llm_model"));
        assertNull(v.get("no_such_variable"));
        assertNull(v.get("remote_user_never"));
    }

    @Test
    void postBodyVariables() throws Exception {
        String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String request = "POST /v1/chat/completions?status=201 HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n"
                + "\r\n" + body;
        try (RawHttp client = new RawHttp(server.port())) {
            assertEquals(201, client.exchange(request).status());
        }
        Map<String, Object> v = server.next();
        assertEquals("POST /v1/chat/completions?status=201 HTTP/1.1", s(v, "request_line"));
        assertEquals("201", s(v, "status"));
        assertEquals(body, s(v, "request_body"));
        assertEquals("gpt-4o", s(v, "post_arg.model"));
        assertEquals("user", s(v, "post_arg.messages.1.role"));
        assertEquals(String.valueOf(request.length()), s(v, "request_length"));
        assertEquals("localhost", s(v, "host"));
        assertNull(v.get("remote_user"));
        assertNull(v.get("route_id"));
        assertNull(v.get("apisix_request_id"));
    }

    @Test
    void noArgsAndOtherAuthSchemes() throws Exception {
        try (RawHttp client = new RawHttp(server.port())) {
            client.exchange("GET /plain HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\n\r\n");
        }
        Map<String, Object> v = server.next();
        assertNull(v.get("args"), "no '?': args is unset, rendered '-'");
        assertEquals("", s(v, "is_args"));
        assertEquals("/plain", s(v, "request_uri"));
        assertEquals("/plain", s(v, "uri"));
        assertNull(v.get("remote_user"));
        assertNull(v.get("arg_x"));
        assertNull(v.get("cookie_session"));
    }

    @Test
    void connectionIsPerConnectionAndCountsRequests() throws Exception {
        server.onEnd(ctx -> List.of(ctx.var("connection"), ctx.var("connection_requests")));
        String req = "GET /k HTTP/1.1\r\nHost: h\r\n\r\n";
        List<?> a1;
        List<?> a2;
        List<?> b1;
        try (RawHttp a = new RawHttp(server.port()); RawHttp b = new RawHttp(server.port())) {
            a.exchange(req);
            a1 = server.next();
            a.exchange(req);
            a2 = server.next();
            b.exchange(req);
            b1 = server.next();
        }
        assertEquals(a1.get(0), a2.get(0), "same keep-alive connection, same number");
        assertNotEquals(a1.get(0), b1.get(0), "another connection, another number");
        assertEquals(1L, a1.get(1));
        assertEquals(2L, a2.get(1));
        assertEquals(1L, b1.get(1));
    }

    @Test
    void requestTimeRunsUntilFinished() throws Exception {
        server.onEnd(ctx -> ctx.var("request_time") + " " + ctx.var("request_time"));
        try (RawHttp client = new RawHttp(server.port())) {
            client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        String both = server.next();
        String[] parts = both.split(" ");
        assertEquals(parts[0], parts[1], "frozen once the request finished");
    }

    @Test
    void basicUserParsing() {
        String enc = Base64.getEncoder().encodeToString("bob:pw".getBytes(StandardCharsets.UTF_8));
        assertEquals("bob", CoreVariables.basicUser("basic " + enc));
        assertEquals("", CoreVariables.basicUser("Basic " + Base64.getEncoder().encodeToString(":pw".getBytes())));
        assertNull(CoreVariables.basicUser("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes())));
        assertNull(CoreVariables.basicUser("Basic !!!not-base64"));
        assertNull(CoreVariables.basicUser("Digest x"));
        assertNull(CoreVariables.basicUser(null));
    }

    @Test
    void cookieParsing() {
        assertEquals("1", CoreVariables.cookie("a=1; b=2", "a"));
        assertEquals("2", CoreVariables.cookie("a=1; b=2", "b"));
        assertEquals("x=y", CoreVariables.cookie("a=1;c=x=y", "c"));
        assertNull(CoreVariables.cookie("ab=1", "a"));
        assertNull(CoreVariables.cookie("a", "a"));
        assertEquals("", CoreVariables.cookie("a=", "a"));
    }

    @Test
    void timeFormatsAndRounding() {
        NginxTime t = new NginxTime(ZoneOffset.ofHours(2));
        long millis = OffsetDateTime.parse("2026-11-26T07:30:00.123Z").toInstant().toEpochMilli();
        assertEquals("26/Nov/2026:09:30:00 +0200", t.local(millis));
        assertEquals("2026-11-26T09:30:00+02:00", t.iso8601(millis));
        assertEquals("1795678200.123", NginxTime.msec(millis));
        assertEquals("0.005", NginxTime.seconds3(5));
        assertEquals("1.050", NginxTime.seconds3(1050));
        assertEquals("0.000", NginxTime.seconds3(-3));
        // the per-second cache must not serve the previous second
        assertEquals("26/Nov/2026:09:30:01 +0200", t.local(millis + 1000));
    }

    @Test
    void percentDecoding() {
        assertEquals("/a b/é", CoreVariables.percentDecode("/a%20b/%C3%A9"));
        assertEquals("/bad%zz%2", CoreVariables.percentDecode("/bad%zz%2"));
    }
}
