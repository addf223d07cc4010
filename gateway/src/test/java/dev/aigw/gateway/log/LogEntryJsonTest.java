package dev.aigw.gateway.log;

import dev.aigw.gateway.context.CapturingServer;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RawHttp;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.route.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LogEntry#fullJson} (streaming generator) writes exactly the text the former tree-then-encode
 * path ({@link LegacyLogEntry}) wrote, on real requests through a real HTTP server: rich headers
 * (repeated, mixed case, masked, characters to escape), query strings, bodies, a route with a
 * service, a consumer, upstream timings, plugins' log fields (maps with nulls, lists, Vert.x JSON)
 * and {@code log_format_extra}.
 */
class LogEntryJsonTest {

    private static CapturingServer server;
    private static final LogEntry NEW = new LogEntry("host-1", "1.2.3");
    private static final LegacyLogEntry OLD = new LegacyLogEntry("host-1", "1.2.3");

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

    private static final String RICH_REQUEST = "POST /v1/chat/completions?a=1&a=2&flag&x=%20y%22&=skip&b HTTP/1.1\r\n"
            + "Host: Example.COM:8080\r\n"
            + "User-Agent: openai-java/4.8.0\r\n"
            + "Authorization: Bearer sk-secret\r\n"
            + "X-Api-Key: gw-secret\r\n"
            + "apikey: key-auth-secret\r\n"
            + "X-Multi: a\r\n"
            + "x-multi: b\r\n"
            + "X-Tab: a\tb\r\n"
            + "X-MULTI: c\"d\\e\r\n"
            + "A-First: z\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: {LEN}\r\n"
            + "\r\n";

    private static final String BODY = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo \\\"x\\\"\"}]}";

    /** Sends the rich request; {@code prepare} runs before the answer; returns {old, new} texts. */
    private static String[] both(Consumer<RequestContext> prepare, String reqBody, String respBody,
                                 LogEntryFormat extra) throws Exception {
        server.prepare(prepare);
        server.onEnd(ctx -> {
            JsonObject old = OLD.full(ctx, reqBody, respBody);
            if (extra != null) {
                for (Map.Entry<String, Object> e : extra.renderFields(ctx, 7)) {
                    if (!old.containsKey(e.getKey())) {
                        old.put(e.getKey(), e.getValue());
                    }
                }
            }
            return new String[] {old.encode(), NEW.fullJson(ctx, reqBody, respBody, extra, 7),
                    utf8(ctx, reqBody, respBody, extra)};
        });
        byte[] body = BODY.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (RawHttp client = new RawHttp(server.port())) {
            assertEquals(200, client.exchange(RICH_REQUEST.replace("{LEN}", String.valueOf(body.length)) + BODY).status());
        }
        String[] r = server.next();
        assertEquals(r[1], r[2], "the UTF-8 entry (Kafka) decodes to the text entry");
        return r;
    }

    /** The UTF-8 entry (Kafka's) as text. */
    private static String utf8(RequestContext ctx, String reqBody, String respBody, LogEntryFormat extra) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        NEW.fullJsonUtf8(out, ctx, reqBody, respBody, extra, 7);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("request_model", "gpt-4o");
        s.put("model", "gpt-4o-2024-08-06");
        s.put("duration", 12L);
        s.put("prompt_tokens", 10);
        s.put("completion_tokens", null);
        s.put("total_tokens", 21.5);
        s.put("stream", "false");
        return s;
    }

    @Test
    void richEntryWithRouteConsumerUpstreamAndLogFields() throws Exception {
        LogEntryFormat extra = LogEntryFormat.compile(new JsonObject()
                .put("host", "$host").put("latency", "$request_time") // a default field: never replaced
                .put("body", "$request_body").put("nested", new JsonObject().put("m", "$request_method").put("n", 1))
                .put("llm_summary", "$uri").put("auth", "$http_authorization").put("missing", "$http_nope"));
        String[] r = both(ctx -> {
            ctx.route(new Route("r1", "chat", new JsonObject().put("service_id", 42), List.of(), null, 1), List.of());
            ctx.setVar("upstream_addr", "127.0.0.1:1980");
            ctx.setVar("upstream_response_time", "0.004, 0.002");
            ctx.setVar("consumer_name", "alice");
            ctx.logFields().put("llm_summary", summary());
            Map<String, Object> req = new LinkedHashMap<>();
            req.put("messages", new ArrayList<>(Arrays.asList(Map.of("role", "user"), "x", 3, null, true)));
            req.put("stream", false);
            ctx.logFields().put("llm_request", req);
            ctx.logFields().put("skipped", null);
            ctx.logFields().put("fixed", new FixedFields(new FixedFields.Names("model", "none", "n", "on", "nested", "esc\"aped"),
                    "gpt-4o", null, 12L, true, Map.of("k", List.of(1, "x")), "\u0001\u2028"));
            ctx.logFields().put("ai_proxy_multi", new JsonObject().put("instance", "a")
                    .put("tries", new JsonArray().add(1).add("b\u0001")));
        }, BODY + " ü € \u2028", "{\"id\":\"chatcmpl-1\",\"text\":\"\\u2028 ok\"}", extra);
        assertEquals(r[0], r[1]);
        assertTrue(r[1].contains("\"consumer\":{\"username\":\"alice\"}"), r[1]);
        assertTrue(r[1].contains("\"x-multi\":[\"a\",\"b\",\"c\\\"d\\\\e\"]"), r[1]);
        assertTrue(r[1].contains("\"authorization\":\"******\""), r[1]);
        assertTrue(r[1].contains("\"upstream_latency\":2.0"), r[1]);
        assertTrue(r[1].contains("\"nested\":{\"m\":\"POST\",\"n\":1}"), r[1]);
        assertTrue(!r[1].contains("secret"), r[1]);
        assertTrue(r[1].contains("\"fixed\":{\"model\":\"gpt-4o\",\"none\":null,\"n\":12,\"on\":true,"), r[1]);
    }

    @Test
    void withoutRouteAndWithLogFieldsNamedLikeDefaultOnes() throws Exception {
        String[] r = both(ctx -> {
            ctx.logFields().put("route_id", "from-plugin"); // absent by default (no route): appended
            ctx.logFields().put("client_ip", "10.0.0.1"); // present: replaced in place
            ctx.logFields().put("server", Map.of("hostname", "other"));
            ctx.logFields().put("latency", null); // null: the default one stays
            ctx.logFields().put("llm_response_text", Map.of("content", "ok"));
        }, null, null, LogEntryFormat.compile(new JsonObject().put("route_id", "$uri").put("x", "$arg_a")));
        assertEquals(r[0], r[1]);
        assertTrue(r[1].contains("\"client_ip\":\"10.0.0.1\""), r[1]);
    }

    @Test
    void plainEntry() throws Exception {
        String[] r = both(ctx -> { }, null, null, null);
        assertEquals(r[0], r[1]);
    }

    /** The entry of a GET with these header lines, {old, new}. */
    private static String[] get(String headerLines) throws Exception {
        server.prepare(ctx -> { });
        server.onEnd(ctx -> new String[] {OLD.full(ctx, null, null).encode(), NEW.fullJson(ctx, null, null, null, 7)});
        try (RawHttp client = new RawHttp(server.port())) {
            assertEquals(200, client.exchange("GET /h HTTP/1.1\r\nHost: h\r\n" + headerLines + "\r\n").status());
        }
        return server.next();
    }

    @Test
    void eachEntryHasItsOwnHeadersOnlyWhateverCameBefore() throws Exception {
        // one event loop writes every entry: a large request, a smaller one with repeated names out
        // of order, then one with only its Host header each show exactly their own headers
        StringBuilder many = new StringBuilder();
        for (int i = 99; i >= 0; i--) {
            many.append("X-H-").append(i).append(": v").append(i).append("\r\n");
        }
        String[] large = get(many.toString());
        assertEquals(large[0], large[1]);
        assertTrue(large[1].contains("\"x-h-0\":\"v0\"") && large[1].contains("\"x-h-99\":\"v99\""), large[1]);
        String[] small = get("B: 2\r\nA: 1\r\nb: 3\r\n");
        assertEquals(small[0], small[1]);
        assertTrue(small[1].contains("\"headers\":{\"a\":\"1\",\"b\":[\"2\",\"3\"],\"host\":\"h\"}"), small[1]);
        assertTrue(!small[1].contains("x-h-"), small[1]);
        String[] plain = get("");
        assertEquals(plain[0], plain[1]);
        assertTrue(plain[1].contains("\"headers\":{\"host\":\"h\"}"), plain[1]);
    }

    @Test
    void headerNamesPastTheCacheCapAreStillLowercasedAndMaskedAndCounted() {
        long before = LogEntry.headerNamesUncached();
        for (int i = 0; i < LogEntry.HEADER_NAMES_CAP + 10; i++) {
            LogEntry.HeaderName h = LogEntry.headerName("X-Random-" + i);
            assertEquals("x-random-" + i, h.lower().getValue());
        }
        assertTrue(LogEntry.headerNamesUncached() - before >= 10, "names past the cap are counted");
        LogEntry.HeaderName auth = LogEntry.headerName("AUTHORIZATION");
        assertEquals("authorization", auth.lower().getValue());
        assertTrue(auth.masked(), "a secret header is masked whether its name was cached or not");
    }
}
