package dev.aigw.gateway.log;

import dev.aigw.gateway.context.CapturingServer;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RawHttp;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.AccessLogFormat.Escape;
import dev.aigw.gateway.log.AccessLogFormat.Literal;
import dev.aigw.gateway.log.AccessLogFormat.Variable;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogFormatTest {

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

    // ---------------------------------------------------------------- compilation

    @Test
    void compilesPlainAndBracedVariablesAndLiterals() {
        AccessLogFormat f = AccessLogFormat.compile("$a ${b}c$d_1[$e]", Escape.DEFAULT);
        assertEquals(List.of(new Variable("a"), new Literal(" "), new Variable("b"), new Literal("c"),
                new Variable("d_1"), new Literal("["), new Variable("e"), new Literal("]")), f.segments());
    }

    @Test
    void adjacentVariablesAndNginxNameRules() {
        AccessLogFormat f = AccessLogFormat.compile("\"$upstream_scheme://$upstream_host$upstream_uri\"", Escape.DEFAULT);
        assertEquals(List.of(new Literal("\""), new Variable("upstream_scheme"), new Literal("://"),
                new Variable("upstream_host"), new Variable("upstream_uri"), new Literal("\"")), f.segments());
        // a dot ends a plain name (nginx); braces accept it for post_arg.*
        assertEquals(List.of(new Variable("post_arg"), new Literal(".model")),
                AccessLogFormat.compile("$post_arg.model", Escape.DEFAULT).segments());
        assertEquals(List.of(new Variable("post_arg.model")),
                AccessLogFormat.compile("${post_arg.model}", Escape.DEFAULT).segments());
    }

    @Test
    void appliesNginxQuotedStringEscapesAndDropsTrailingNewline() {
        // what a YAML block scalar in config.yaml.example yields: \" inside, a newline at the end
        AccessLogFormat f = AccessLogFormat.compile("\\\"$request\\\" \\\\x\n", Escape.DEFAULT);
        assertEquals(List.of(new Literal("\""), new Variable("request"), new Literal("\" \\x")), f.segments());
    }

    @Test
    void refusesBrokenVariables() {
        assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.compile("${abc", Escape.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.compile("a $ b", Escape.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.compile("end$", Escape.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.compile("${}", Escape.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> Escape.parse("xml"));
        assertEquals(Escape.JSON, Escape.parse("json"));
        assertEquals(Escape.DEFAULT, Escape.parse(null));
    }

    @Test
    void valuesPrintLikeLua() {
        assertEquals("12", AccessLogFormat.stringOf(12.0));
        assertEquals("0.25", AccessLogFormat.stringOf(0.25));
        assertEquals("0.0001", AccessLogFormat.stringOf(1e-4));
        assertEquals("42", AccessLogFormat.stringOf(42L));
        assertEquals("true", AccessLogFormat.stringOf(true));
        assertEquals("{\"a\":1}", AccessLogFormat.stringOf(new JsonObject().put("a", 1)));
    }

    // ---------------------------------------------------------------- rendering real requests

    private String render(AccessLogFormat f, String request) throws Exception {
        server.onEnd(f::format);
        try (RawHttp client = new RawHttp(server.port())) {
            RawHttp.Response r = client.exchange(request);
            assertEquals(200, r.status(), r.head());
        }
        return server.next();
    }

    @Test
    void defaultFormatRendersLikeApisix() throws Exception {
        server.prepare(ctx -> {
            ctx.requestId("abcdefabcdefabcdefabcdefabcdef12");
            ctx.setVar("upstream_addr", "10.0.0.7:443");
            ctx.setVar("upstream_status", 200);
        });
        try {
            String auth = Base64.getEncoder().encodeToString("carol:pw".getBytes(StandardCharsets.UTF_8));
            String line = render(AccessLogFormat.defaults(), "GET /v1/models?x=1 HTTP/1.1\r\nHost: api.local:9080\r\n"
                    + "User-Agent: curl/8.5\r\nAuthorization: Basic " + auth + "\r\n\r\n");
            String expected = "127\\.0\\.0\\.1 - carol \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] api\\.local:9080 "
                    + "\"GET /v1/models\\?x=1 HTTP/1\\.1\" 200 5 \\d+\\.\\d{3} \"-\" \"curl/8\\.5\" "
                    + "10\\.0\\.0\\.7:443 200 - \"-://--\" \"abcdefabcdefabcdefabcdefabcdef12\"";
            assertTrue(line.matches(expected), line);
        } finally {
            server.prepare(ctx -> { });
        }
    }

    @Test
    void unknownAndUnsetRenderAsDash() throws Exception {
        String line = render(AccessLogFormat.compile("[$no_such_var] [${http_x_absent}] [$args] [$arg_a]", Escape.DEFAULT),
                "GET /p?a= HTTP/1.1\r\nHost: h\r\n\r\n");
        // an empty-but-present value is empty, not '-'
        assertEquals("[-] [-] [a=] []", line);
    }

    /**
     * Client-controlled values with quotes, backslashes, control bytes and a newline. The HTTP codec
     * refuses control bytes other than tab in a header (400), so the newline and the other control
     * bytes come through a url-decoded argument.
     */
    private static final String EVIL_REQUEST = "GET /p?q=%0A1.2.3.4%20-%20-%20%22GET%20/forged%22%5C%01%7F HTTP/1.1\r\n"
            + "Host: h\r\n"
            + "User-Agent: evil\" 200 \"x\\y\tz\r\n"
            + "X-Utf8: " + new String("é".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1) + "\r\n"
            + "\r\n";

    @Test
    void defaultEscapingKeepsOneLineAndQuotesClosed() throws Exception {
        String line = render(AccessLogFormat.compile("\"$http_user_agent\" \"$arg_q\" $http_x_utf8", Escape.DEFAULT), EVIL_REQUEST);
        assertEquals("\"evil\\x22 200 \\x22x\\x5Cy\\x09z\" \"\\x0A1.2.3.4 - - \\x22GET /forged\\x22\\x5C\\x01\\x7F\" \\xC3\\xA9", line);
        assertFalse(line.contains("\n"));
        // exactly the two quote pairs of the format remain unescaped
        assertEquals(4, line.chars().filter(c -> c == '"').count());
    }

    @Test
    void jsonEscapingRoundTripsExactValues() throws Exception {
        String line = render(AccessLogFormat.compile(
                "{\"ua\":\"$http_user_agent\",\"q\":\"$arg_q\",\"utf8\":\"$http_x_utf8\",\"missing\":\"$nope\",\"status\":$status}",
                Escape.JSON), EVIL_REQUEST);
        assertFalse(line.contains("\n"));
        JsonObject o = new JsonObject(line);
        assertEquals("evil\" 200 \"x\\y\tz", o.getString("ua"));
        assertEquals("\n1.2.3.4 - - \"GET /forged\"\\\u0001\u007f", o.getString("q"));
        assertEquals("é", o.getString("utf8"));
        assertEquals("", o.getString("missing"), "nginx's json escaping renders unset as empty");
        assertEquals(200, o.getInteger("status"));
        assertEquals(5, o.size(), "no forged keys");
    }

    @Test
    void noneEscapingPassesValuesThrough() throws Exception {
        String line = render(AccessLogFormat.compile("$http_user_agent|$nope", Escape.NONE),
                "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\"b\\c\r\n\r\n");
        assertEquals("a\"b\\c|-", line);
    }
}
