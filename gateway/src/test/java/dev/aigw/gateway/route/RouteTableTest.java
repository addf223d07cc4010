package dev.aigw.gateway.route;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.route.match.RequestPath;
import dev.aigw.testkit.Ports;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives {@link RouteTable#match} through a real Vert.x server: each request gets a fresh
 * {@link RequestContext}, the server answers 200 with the matched route id (404 when none, 413 when
 * the body was too large) and tells whether the body was read.
 */
class RouteTableTest {

    private static final long MAX_BODY = 1024;

    private static Vertx vertx;
    private static HttpServer server;
    private static HttpClientAgent client;
    private static volatile RouteTable table = RouteTable.EMPTY;

    record Resp(int status, String body, boolean bodyRead, String param) {
    }

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        VariableRegistry registry = new VariableRegistry()
                .register("uri", ctx -> RequestPath.normalize(ctx.request().path()))
                .register("host", ctx -> ctx.request().authority() == null ? null : ctx.request().authority().host())
                .register("remote_addr", ctx -> ctx.request().remoteAddress().hostAddress())
                .register("request_method", ctx -> ctx.request().method().name())
                .registerPrefix("arg_", (ctx, name) -> ctx.request().params().get(name))
                .registerPrefix("http_", (ctx, name) -> ctx.request().getHeader(name.replace('_', '-')))
                .registerPrefix("cookie_", (ctx, name) -> {
                    Cookie c = ctx.request().getCookie(name);
                    return c == null ? null : c.getValue();
                });
        int port = Ports.free();
        server = await(vertx.createHttpServer()
                .requestHandler(req -> handle(req, registry))
                .listen(port, "127.0.0.1"));
        client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    }

    private static void handle(HttpServerRequest req, VariableRegistry registry) {
        req.pause();
        RequestContext ctx = new RequestContext(vertx, req, registry, MAX_BODY);
        table.match(ctx).onComplete(ar -> {
            if (!ctx.bodyRequested()) {
                req.resume(); // drain the unread body (a gateway would stream it upstream)
            }
            req.response().putHeader("x-body-read", String.valueOf(ctx.bodyRequested()));
            Object param = ctx.var("uri_param_id");
            if (param != null) {
                req.response().putHeader("x-param", param.toString());
            }
            if (ar.failed()) {
                int status = ar.cause() instanceof RequestContext.BodyTooLargeException ? 413 : 500;
                req.response().setStatusCode(status).end(ar.cause().getClass().getSimpleName());
            } else if (ar.result() == null) {
                req.response().setStatusCode(404).end("none");
            } else {
                req.response().setStatusCode(200).end(ar.result().id());
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close());
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Route route(String id, String json) {
        return new Route(id, null, new JsonObject(json), List.of(), null, 0);
    }

    private static void use(Route... routes) {
        table = RouteTable.build(List.of(routes));
    }

    private static Resp call(HttpMethod method, String uri, Map<String, String> headers, String body, boolean chunked)
            throws Exception {
        RequestOptions opts = new RequestOptions().setMethod(method).setURI(uri);
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        headers.forEach(h::add);
        opts.setHeaders(h);
        return await(client.request(opts).compose(req -> {
            Future<io.vertx.core.http.HttpClientResponse> resp;
            if (chunked) {
                req.setChunked(true);
                resp = req.response();
                req.end(Buffer.buffer(body));
            } else {
                resp = body == null ? req.send() : req.send(Buffer.buffer(body));
            }
            return resp.compose(r -> r.body().map(b -> new Resp(r.statusCode(), b.toString(),
                    Boolean.parseBoolean(r.getHeader("x-body-read")), r.getHeader("x-param"))));
        }));
    }

    private static Resp get(String uri) throws Exception {
        return call(HttpMethod.GET, uri, Map.of(), null, false);
    }

    private static Resp get(String uri, Map<String, String> headers) throws Exception {
        return call(HttpMethod.GET, uri, headers, null, false);
    }

    private static Resp postJson(String uri, String json) throws Exception {
        return call(HttpMethod.POST, uri, Map.of("content-type", "application/json"), json, false);
    }

    /** The matched route id, or "404" / "413" for no match / a too large body. */
    private static String id(Resp r) {
        return r.status() == 200 ? r.body() : String.valueOf(r.status());
    }

    // ------------------------------------------------------------------ uri

    @Test
    void exactPrefixParameterAndUris() throws Exception {
        use(route("exact", "{\"uri\":\"/v1/chat\"}"),
                route("prefix", "{\"uri\":\"/v1/*\",\"priority\":100}"),
                route("longer-prefix", "{\"uri\":\"/v1/deep/*\",\"priority\":-5}"),
                route("glued", "{\"uri\":\"/foo*\"}"),
                route("param", "{\"uri\":\"/user/:id\"}"),
                route("param-deeper", "{\"uri\":\"/user/:id/books/*\"}"),
                route("multi", "{\"uris\":[\"/a\",\"/b/*\"]}"));
        assertEquals(7, table.size());

        assertEquals("exact", id(get("/v1/chat")), "an exact uri beats a prefix of higher priority");
        assertEquals("exact", id(get("/v1/chat?stream=1")), "the query is not part of the path");
        assertEquals("prefix", id(get("/v1/chat/completions")));
        assertEquals("prefix", id(get("/v1/")));
        assertEquals("404", id(get("/v1")), "/v1/* needs the slash");
        assertEquals("longer-prefix", id(get("/v1/deep/x")), "a longer prefix beats a higher priority");
        assertEquals("glued", id(get("/foo")));
        assertEquals("glued", id(get("/foobar/baz")));

        Resp user = get("/user/42");
        assertEquals("param", id(user));
        assertEquals("42", user.param());
        assertEquals("param-deeper", id(get("/user/42/books/x/y")));
        assertEquals("404", id(get("/user/")), "a parameter segment is never empty");
        assertEquals("404", id(get("/user/1/2")));

        assertEquals("multi", id(get("/a")));
        assertEquals("multi", id(get("/b/c")));
        assertEquals("404", id(get("/ab")));
        assertEquals("multi", id(get("/%61")), "matched on the decoded path, as nginx's $uri");
        assertEquals("multi", id(get("/x/../a")));
    }

    @Test
    void priorityThenLongerUriThenId() throws Exception {
        use(route("low", "{\"uri\":\"/p\",\"priority\":1}"),
                route("high", "{\"uri\":\"/p\",\"priority\":5,\"methods\":[\"POST\"]}"),
                route("b", "{\"uri\":\"/t\"}"),
                route("a", "{\"uri\":\"/t\"}"),
                route("star", "{\"uri\":\"/q/*\"}"),
                route("named", "{\"uri\":\"/q/:id\"}"));
        assertEquals("high", id(call(HttpMethod.POST, "/p", Map.of(), "", false)));
        assertEquals("low", id(get("/p")), "the higher one is skipped when its method does not match");
        assertEquals("a", id(get("/t")), "equal priority and uri: smaller id, whatever the input order");
        assertEquals("named", id(get("/q/1")), "same key, same priority: the longer uri first");
        assertEquals("star", id(get("/q/1/2")));
    }

    @Test
    void methods() throws Exception {
        use(route("write", "{\"uri\":\"/m\",\"methods\":[\"POST\",\"PUT\"]}"),
                route("read", "{\"uri\":\"/m\",\"methods\":[\"GET\"]}"));
        assertEquals("read", id(get("/m")));
        assertEquals("write", id(call(HttpMethod.PUT, "/m", Map.of(), "x", false)));
        assertEquals("write", id(call(HttpMethod.POST, "/m", Map.of(), "x", false)));
        assertEquals("404", id(call(HttpMethod.DELETE, "/m", Map.of(), null, false)));
    }

    @Test
    void hostsExactWildcardAndHostFirstOrder() throws Exception {
        use(route("exact-host", "{\"uri\":\"/h/*\",\"hosts\":[\"api.example.com\",\"other.test\"]}"),
                route("wild", "{\"uri\":\"/h/*\",\"host\":\"*.example.com\"}"),
                route("deep-wild", "{\"uri\":\"/h/*\",\"host\":\"*.eu.example.com\"}"),
                route("any", "{\"uri\":\"/h/x\"}"),
                route("star", "{\"uri\":\"/s\",\"host\":\"*\"}"));
        assertEquals("exact-host", id(get("/h/x", Map.of("host", "api.example.com:9080"))),
                "routes with a matching host come before host-less ones, even an exact uri");
        assertEquals("exact-host", id(get("/h/x", Map.of("host", "API.Example.COM"))), "case-insensitive");
        assertEquals("exact-host", id(get("/h/x", Map.of("host", "other.test"))));
        assertEquals("wild", id(get("/h/x", Map.of("host", "a.example.com"))));
        assertEquals("wild", id(get("/h/x", Map.of("host", "a.b.example.com"))));
        assertEquals("deep-wild", id(get("/h/x", Map.of("host", "b.eu.example.com"))), "longest wildcard first");
        assertEquals("any", id(get("/h/x", Map.of("host", "example.com"))), "*.example.com needs a subdomain");
        assertEquals("404", id(get("/h/y", Map.of("host", "example.com"))));
        assertEquals("star", id(get("/s", Map.of("host", "whatever.org"))));
    }

    @Test
    void remoteAddrs() throws Exception {
        use(route("ten", "{\"uri\":\"/r\",\"remote_addrs\":[\"10.0.0.0/8\"],\"priority\":9}"),
                route("loop", "{\"uri\":\"/r\",\"remote_addr\":\"127.0.0.0/24\"}"),
                route("v6", "{\"uri\":\"/r6\",\"remote_addrs\":[\"::1\"]}"),
                route("one", "{\"uri\":\"/r1\",\"remote_addrs\":[\"::1\",\"127.0.0.1\"]}"));
        assertEquals("loop", id(get("/r")));
        assertEquals("404", id(get("/r6")), "the client is 127.0.0.1");
        assertEquals("one", id(get("/r1")));
    }

    @Test
    void disabledAndInvalidRoutesAreLeftOut() throws Exception {
        use(route("off", "{\"uri\":\"/d\",\"status\":0}"),
                route("on", "{\"uri\":\"/e\",\"status\":1}"),
                route("bad-vars", "{\"uri\":\"/f\",\"vars\":[[\"arg_a\",\"=\",\"1\"]]}"),
                route("bad-ip", "{\"uri\":\"/g\",\"remote_addr\":\"not-an-ip\"}"),
                route("no-uri", "{\"host\":\"x.org\"}"));
        assertEquals(1, table.size());
        assertEquals("404", id(get("/d")));
        assertEquals("on", id(get("/e")));
        assertEquals("404", id(get("/f")));
        assertEquals("404", id(get("/g")));
        assertNull(RouteTable.EMPTY.match(null).result(), "the empty table needs no request at all");
        assertEquals(0, RouteTable.EMPTY.size());
    }

    // ------------------------------------------------------------------ vars

    @Test
    void varsOperators() throws Exception {
        use(route("eq", "{\"uri\":\"/op/eq\",\"vars\":[[\"arg_name\",\"==\",\"json\"]]}"),
                route("ne", "{\"uri\":\"/op/ne\",\"vars\":[[\"arg_name\",\"~=\",\"json\"]]}"),
                route("gt", "{\"uri\":\"/op/gt\",\"vars\":[[\"arg_age\",\">\",18]]}"),
                route("ge", "{\"uri\":\"/op/ge\",\"vars\":[[\"arg_age\",\">=\",\"18\"]]}"),
                route("lt", "{\"uri\":\"/op/lt\",\"vars\":[[\"arg_age\",\"<\",18]]}"),
                route("le", "{\"uri\":\"/op/le\",\"vars\":[[\"arg_age\",\"<=\",18]]}"),
                route("re", "{\"uri\":\"/op/re\",\"vars\":[[\"http_x_tag\",\"~~\",\"^a.*z$\"]]}"),
                route("ire", "{\"uri\":\"/op/ire\",\"vars\":[[\"http_x_tag\",\"~*\",\"^a.*z$\"]]}"),
                route("in", "{\"uri\":\"/op/in\",\"vars\":[[\"arg_color\",\"in\",[\"red\",\"blue\"]]]}"),
                route("not", "{\"uri\":\"/op/not\",\"vars\":[[\"arg_x\",\"!\",\"==\",\"1\"]]}"),
                route("ip", "{\"uri\":\"/op/ip\",\"vars\":[[\"remote_addr\",\"ipmatch\",[\"127.0.0.0/8\"]]]}"),
                route("ip10", "{\"uri\":\"/op/ip10\",\"vars\":[[\"remote_addr\",\"ipmatch\",\"10.0.0.0/8\"]]}"),
                route("cookie", "{\"uri\":\"/op/cookie\",\"vars\":[[\"cookie_session\",\"==\",\"abc\"]]}"),
                route("and", "{\"uri\":\"/op/and\",\"vars\":[[\"arg_a\",\"==\",\"1\"],[\"arg_b\",\"==\",\"2\"]]}"),
                route("or", "{\"uri\":\"/op/or\",\"vars\":[\"OR\",[\"arg_a\",\"==\",\"1\"],[\"arg_b\",\"==\",\"2\"]]}"),
                route("nand", "{\"uri\":\"/op/nand\",\"vars\":[\"!AND\",[\"arg_a\",\"==\",\"1\"],[\"arg_b\",\"==\",\"2\"]]}"),
                route("nor", "{\"uri\":\"/op/nor\",\"vars\":[\"!OR\",[\"arg_a\",\"==\",\"1\"],[\"arg_b\",\"==\",\"2\"]]}"),
                route("nested", "{\"uri\":\"/op/nested\",\"vars\":[\"AND\",[\"arg_a\",\"==\",\"1\"],"
                        + "[\"OR\",[\"arg_b\",\"==\",\"2\"],[\"!AND\",[\"arg_c\",\"~~\",\"^x\"],[\"arg_d\",\">\",5]]]]}"));

        assertEquals("eq", id(get("/op/eq?name=json")));
        assertEquals("404", id(get("/op/eq?name=xml")));
        assertEquals("404", id(get("/op/eq")));
        assertEquals("ne", id(get("/op/ne?name=xml")));
        assertEquals("ne", id(get("/op/ne")), "an unset variable is unequal");
        assertEquals("404", id(get("/op/ne?name=json")));

        assertEquals("gt", id(get("/op/gt?age=20")));
        assertEquals("404", id(get("/op/gt?age=18")));
        assertEquals("404", id(get("/op/gt?age=abc")));
        assertEquals("gt", id(get("/op/gt?age=100")), "numeric, not text, comparison");
        assertEquals("ge", id(get("/op/ge?age=18")));
        assertEquals("404", id(get("/op/ge?age=17.5")));
        assertEquals("lt", id(get("/op/lt?age=9")));
        assertEquals("404", id(get("/op/lt?age=18")));
        assertEquals("le", id(get("/op/le?age=18")));
        assertEquals("404", id(get("/op/le?age=19")));

        assertEquals("re", id(get("/op/re", Map.of("x-tag", "abcz"))));
        assertEquals("404", id(get("/op/re", Map.of("x-tag", "Abcz"))));
        assertEquals("ire", id(get("/op/ire", Map.of("x-tag", "Abcz"))));
        assertEquals("404", id(get("/op/ire", Map.of("x-tag", "abc"))));

        assertEquals("in", id(get("/op/in?color=blue")));
        assertEquals("404", id(get("/op/in?color=green")));

        assertEquals("not", id(get("/op/not?x=2")));
        assertEquals("not", id(get("/op/not")));
        assertEquals("404", id(get("/op/not?x=1")));

        assertEquals("ip", id(get("/op/ip")));
        assertEquals("404", id(get("/op/ip10")));

        assertEquals("cookie", id(get("/op/cookie", Map.of("cookie", "theme=dark; session=abc"))));
        assertEquals("404", id(get("/op/cookie", Map.of("cookie", "session=abd"))));

        assertEquals("and", id(get("/op/and?a=1&b=2")));
        assertEquals("404", id(get("/op/and?a=1&b=3")));
        assertEquals("or", id(get("/op/or?a=0&b=2")));
        assertEquals("404", id(get("/op/or?a=0&b=0")));
        assertEquals("nand", id(get("/op/nand?a=1&b=3")));
        assertEquals("404", id(get("/op/nand?a=1&b=2")));
        assertEquals("nor", id(get("/op/nor?a=0&b=0")));
        assertEquals("404", id(get("/op/nor?a=1")));

        assertEquals("nested", id(get("/op/nested?a=1&b=2")));
        assertEquals("nested", id(get("/op/nested?a=1&c=xyz&d=1")), "!AND false → OR true");
        assertEquals("404", id(get("/op/nested?a=1&c=xyz&d=9")));
        assertEquals("404", id(get("/op/nested?a=0&b=2")));
    }

    // ------------------------------------------------------------------ post_arg

    private static Route[] chatRoutes() {
        return new Route[] {
            route("nested", "{\"uri\":\"/chat\",\"priority\":3,\"vars\":[[\"post_arg.model.name\",\"==\",\"gpt-4\"]]}"),
            route("flat", "{\"uri\":\"/chat\",\"priority\":2,\"vars\":[[\"post_arg.model\",\"==\",\"openai\"]]}"),
            route("tags", "{\"uri\":\"/chat\",\"priority\":1,\"vars\":[[\"post_arg.tags\",\"has\",\"b\"]]}"),
            route("fallback", "{\"uri\":\"/chat\"}"),
            route("post-only", "{\"uri\":\"/only\",\"methods\":[\"POST\"],\"vars\":[[\"post_arg.model\",\"==\",\"x\"]]}"),
            route("kleene", "{\"uri\":\"/k\",\"vars\":[[\"arg_a\",\"==\",\"1\"],[\"post_arg.m\",\"==\",\"x\"]]}"),
            route("hosted", "{\"uri\":\"/hb\",\"host\":\"ai.test\",\"vars\":[[\"post_arg.m\",\"==\",\"x\"]]}"),
            route("plain", "{\"uri\":\"/plain\"}"),
        };
    }

    @Test
    void postArgFlatNestedJsonAndForm() throws Exception {
        use(chatRoutes());
        Resp nested = postJson("/chat", "{\"model\":{\"name\":\"gpt-4\"}}");
        assertEquals("nested", id(nested));
        assertTrue(nested.bodyRead());
        assertEquals("flat", id(postJson("/chat", "{\"model\":\"openai\",\"stream\":true}")));
        assertEquals("tags", id(postJson("/chat", "{\"tags\":[\"a\",\"b\"]}")));
        Resp form = call(HttpMethod.POST, "/chat", Map.of("content-type", "application/x-www-form-urlencoded"),
                "temperature=1&model=openai", false);
        assertEquals("flat", id(form));
        Resp other = postJson("/chat", "{\"model\":\"other\"}");
        assertEquals("fallback", id(other), "body conditions failed: the next candidate wins");
        assertTrue(other.bodyRead());
    }

    @Test
    void bodyIsReadOnlyWhenARouteNeedsIt() throws Exception {
        use(chatRoutes());
        Resp plain = postJson("/plain", "{\"model\":\"openai\"}");
        assertEquals("plain", id(plain));
        assertFalse(plain.bodyRead(), "no candidate needs the body");

        Resp wrongMethod = call(HttpMethod.PUT, "/only", Map.of(), "{\"model\":\"x\"}", false);
        assertEquals("404", id(wrongMethod));
        assertFalse(wrongMethod.bodyRead(), "the post_arg route fails on its method first");

        Resp decided = postJson("/k", "{\"m\":\"x\"}");
        assertEquals("404", id(decided));
        assertFalse(decided.bodyRead(), "arg_a decides the AND without the body");
        Resp needed = postJson("/k?a=1", "{\"m\":\"x\"}");
        assertEquals("kleene", id(needed));
        assertTrue(needed.bodyRead());

        Resp otherHost = call(HttpMethod.POST, "/hb", Map.of("host", "else.test"), "{\"m\":\"x\"}", false);
        assertEquals("404", id(otherHost));
        assertFalse(otherHost.bodyRead(), "the post_arg route fails on its host first");
        assertEquals("hosted", id(call(HttpMethod.POST, "/hb", Map.of("host", "ai.test", "content-type", "application/json"),
                "{\"m\":\"x\"}", false)));
        // as APISIX: post_arg reads the body by its Content-Type; without one there is no value
        assertEquals("404", id(call(HttpMethod.POST, "/hb", Map.of("host", "ai.test"), "{\"m\":\"x\"}", false)));
    }

    @Test
    void oversizeBodyFailsTheMatchOnlyWhenTheBodyIsNeeded() throws Exception {
        use(chatRoutes());
        String big = "{\"model\":\"openai\",\"pad\":\"" + "x".repeat(4096) + "\"}";
        Resp tooLarge = postJson("/chat", big);
        assertEquals(413, tooLarge.status());
        assertEquals("BodyTooLargeException", tooLarge.body());

        Resp chunked = call(HttpMethod.POST, "/chat", Map.of("content-type", "application/json"), big, true);
        assertEquals(413, chunked.status(), "without a content-length the cap applies while reading");

        Resp streamed = postJson("/plain", big);
        assertEquals("plain", id(streamed), "a route without post_arg never touches the body");
        assertFalse(streamed.bodyRead());
    }

    // ------------------------------------------------------------------ scale

    @Test
    void tenThousandMixedRoutes() throws Exception {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String def = switch (i % 5) {
                case 0 -> "{\"uri\":\"/e/" + i + "\"}";
                case 1 -> "{\"uri\":\"/p/" + i + "/*\"}";
                case 2 -> "{\"uri\":\"/u/" + i + "/:id\",\"methods\":[\"GET\"]}";
                case 3 -> "{\"uri\":\"/api/*\",\"host\":\"h" + i + ".example.com\"}";
                default -> "{\"uri\":\"/v\",\"priority\":" + (i % 7) + ",\"vars\":[[\"arg_k\",\"==\",\"" + i + "\"]]}";
            };
            routes.add(route("r" + i, def));
        }
        table = RouteTable.build(routes);
        assertEquals(10_000, table.size());
        assertEquals("r5000", id(get("/e/5000")));
        assertEquals("404", id(get("/e/5001")));
        assertEquals("r9001", id(get("/p/9001/x/y")));
        assertEquals("404", id(get("/p/900/x")), "/p/900 is no route; /p/9001/* must not catch it");
        Resp param = get("/u/7777/abc");
        assertEquals("r7777", id(param));
        assertEquals("abc", param.param());
        assertEquals("404", id(call(HttpMethod.POST, "/u/7777/abc", Map.of(), "", false)));
        assertEquals("r3333", id(get("/api/x", Map.of("host", "h3333.example.com"))));
        assertEquals("404", id(get("/api/x", Map.of("host", "h3334.example.com"))));
        assertEquals("r4444", id(get("/v?k=4444")));
        assertEquals("404", id(get("/v?k=4445")));
    }

    // ------------------------------------------------------------------ validation

    @Test
    void validateVarsForTheAdminApi() {
        assertNull(RouteTable.validateVars(new JsonArray("[[\"arg_name\",\"==\",\"json\"],[\"post_arg.model\",\"==\",\"x\"]]")));
        assertNull(RouteTable.validateVars(new JsonArray("[\"OR\",[\"arg_a\",\"==\",\"1\"],[\"arg_b\",\"in\",[\"1\",\"2\"]]]")));
        assertNull(RouteTable.validateVars(new JsonArray()));
        assertEquals("failed to validate the 'vars' expression: invalid operator '='",
                RouteTable.validateVars(new JsonArray("[[\"arg_name\",\"=\",\"json\"]]")));
        assertEquals("failed to validate the 'vars' expression: rule should be wrapped inside brackets",
                RouteTable.validateVars(new JsonArray("[\"arg_name\",\"==\",\"json\"]")));
        assertEquals("failed to validate the 'vars' expression: rule too short",
                RouteTable.validateVars(new JsonArray("[\"OR\",[\"arg_a\",\"==\",\"1\"]]")));
        assertEquals("failed to validate the 'vars' expression: invalid ip address: nope",
                RouteTable.validateVars(new JsonArray("[[\"remote_addr\",\"ipmatch\",\"nope\"]]")));
    }
}
