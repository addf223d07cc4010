package dev.aigw.t.dropin;

import dev.aigw.t.GatewayExtension;
import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * APISIX's common traffic plugins ({@code response-rewrite}, {@code real-ip}, {@code limit-req},
 * {@code limit-conn}, {@code http-logger}, {@code file-logger}) on plain routes, in the JSON of APISIX's
 * documentation, checked the way a client, an upstream and a log reader see them.
 */
class CommonPluginsTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    static GatewayProcess gw() {
        return ENV.gateway();
    }

    static void route(String id, String uri, JsonObject plugins) {
        JsonObject r = new JsonObject().put("uri", uri).put("plugins", plugins)
                .put("upstream", new JsonObject().put("type", "roundrobin")
                        .put("nodes", new JsonObject().put(ENV.mock().hostPort(), 1)));
        HttpResult put = gw().admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, "stored: " + put);
        // the gateway's own "404 Route Not Found" until the route is live
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gw().http("OPTIONS", uri, null).body().contains("Route Not Found")) {
            if (System.nanoTime() - deadline > 0) {
                fail("route " + id + " not live");
            }
            sleep(50);
        }
    }

    static void eventually(String what, java.util.function.BooleanSupplier check) {
        Pause.until(what, Duration.ofSeconds(10), 50, check);
    }

    // ------------------------------------------------------------------ response-rewrite

    @Test
    void responseRewriteSetsStatusHeadersAndBody() {
        ENV.mock().respond("/rr/all", (req, rec) -> req.response().putHeader("X-Up", "1")
                .putHeader("ETag", "\"v1\"").end("hello from upstream"));
        String body = "{\"code\":\"ok\",\"message\":\"new json body\"}";
        route("rr-all", "/rr/all", new JsonObject().put("response-rewrite", new JsonObject()
                .put("status_code", 403).put("body", body)
                .put("headers", new JsonObject()
                        .put("set", new JsonObject().put("X-Server-id", 3).put("X-Route", "$route_id via $uri"))
                        .put("add", new JsonArray().add("X-Multi: one").add("X-Multi: two"))
                        .put("remove", new JsonArray().add("X-Up")))));
        HttpResult r = gw().http("GET", "/rr/all", null);
        assertEquals(403, r.status());
        assertEquals(body, r.body());
        assertEquals(Integer.toString(body.length()), r.header("Content-Length"));
        assertEquals("3", r.header("X-Server-id"));
        assertEquals("rr-all via /rr/all", r.header("X-Route"));
        assertEquals(List.of("one", "two"), r.headers().get("X-Multi"));
        assertNull(r.header("X-Up"), "removed");
        assertNull(r.header("ETag"), "the body changed: the upstream's ETag no longer holds");
        assertEquals(1, ENV.mock().requests().stream().filter(q -> q.method().equals("GET")).count(),
                "the upstream was still called");

        // the older flat form sets headers; body_base64 sends bytes as they are
        route("rr-all", "/rr/all", new JsonObject().put("response-rewrite", new JsonObject()
                .put("headers", new JsonObject().put("X-Flat", "yes"))
                .put("body", Base64.getEncoder().encodeToString("decoded body".getBytes())).put("body_base64", true)));
        eventually("the flat headers", () -> "yes".equals(gw().http("GET", "/rr/all", null).header("X-Flat")));
        HttpResult flat = gw().http("GET", "/rr/all", null);
        assertEquals(200, flat.status(), "no status_code: the upstream's");
        assertEquals("decoded body", flat.body());
        assertEquals("1", flat.header("X-Up"));
    }

    @Test
    void responseRewriteFiltersTheBodyAcrossChunks() {
        ENV.mock().respond("/rr/filter", (req, rec) -> {
            req.response().setChunked(true);
            req.response().write("hello wo");
            req.response().write("rld, hel");
            req.response().end("lo again");
        });
        route("rr-filter", "/rr/filter", new JsonObject().put("response-rewrite", new JsonObject()
                .put("filters", new JsonArray().add(new JsonObject().put("regex", "HELLO").put("scope", "global")
                        .put("replace", "bye").put("options", "ijo")))));
        assertEquals("bye world, bye again", gw().http("GET", "/rr/filter", null).body());

        route("rr-filter", "/rr/filter", new JsonObject().put("response-rewrite", new JsonObject()
                .put("filters", new JsonArray().add(new JsonObject().put("regex", "(\\w+) again").put("replace", "$1!")))));
        eventually("scope once", () -> gw().http("GET", "/rr/filter", null).body().equals("hello world, hello!"));

        route("rr-filter", "/rr/filter", new JsonObject().put("response-rewrite", new JsonObject()
                .put("max_resp_body_size", 5)
                .put("filters", new JsonArray().add(new JsonObject().put("regex", "l+").put("replace", "L")))));
        eventually("the body cap", () -> gw().http("GET", "/rr/filter", null).body().equals("heLo"));
    }

    @Test
    void responseRewriteOnlyWhenVarsMatchTheResponse() {
        ENV.mock().respond("/rr/vars", (req, rec) -> {
            boolean fail = "1".equals(req.getParam("fail"));
            req.response().setStatusCode(fail ? 500 : 200).end(fail ? "stack trace" : "fine");
        });
        route("rr-vars", "/rr/vars", new JsonObject().put("response-rewrite", new JsonObject()
                .put("vars", new JsonArray().add(new JsonArray().add("status").add("==").add(500)))
                .put("status_code", 503).put("body", "{\"error\":\"try later\"}")
                .put("headers", new JsonObject().put("set", new JsonObject().put("Content-Type", "application/json")))));
        HttpResult ok = gw().http("GET", "/rr/vars", null);
        assertEquals(200, ok.status());
        assertEquals("fine", ok.body());
        HttpResult failed = gw().http("GET", "/rr/vars?fail=1", null);
        assertEquals(503, failed.status());
        assertEquals("try later", failed.jsonObject().getString("error"));
    }

    @Test
    void responseRewriteRefusesWhatApisixRefuses() {
        JsonObject both = new JsonObject().put("body", "x")
                .put("filters", new JsonArray().add(new JsonObject().put("regex", "a").put("replace", "b")));
        assertEquals(400, put("rr-bad", both).status());
        HttpResult b64 = put("rr-bad", new JsonObject().put("body", "%%%").put("body_base64", true));
        assertEquals(400, b64.status());
        assertTrue(b64.jsonObject().getString("error_msg").contains("invalid base64 content"), b64.body());
        HttpResult re = put("rr-bad", new JsonObject()
                .put("filters", new JsonArray().add(new JsonObject().put("regex", "(").put("replace", "b"))));
        assertEquals(400, re.status());
        assertTrue(re.jsonObject().getString("error_msg").contains("regex \"(\" validation failed"), re.body());
        HttpResult vars = put("rr-bad", new JsonObject().put("vars", new JsonArray().add("status")));
        assertEquals(400, vars.status());
        assertTrue(vars.jsonObject().getString("error_msg").contains("failed to validate the 'vars' expression"),
                vars.body());
        assertEquals(400, put("rr-bad", new JsonObject().put("status_code", 100)).status());
    }

    // ------------------------------------------------------------------ real-ip

    @Test
    void realIpTakesTheClientFromATrustedProxysHeader() {
        ENV.mock().respond("/rip", (req, rec) -> req.response().end("ok"));
        JsonObject deny = new JsonObject().put("blacklist", new JsonArray().add("1.2.3.4"));
        route("rip", "/rip", new JsonObject()
                .put("real-ip", new JsonObject().put("source", "http_x_forwarded_for")
                        .put("trusted_addresses", new JsonArray().add("127.0.0.0/24")))
                .put("ip-restriction", deny));
        assertEquals(403, gw().http("GET", "/rip", null, "X-Forwarded-For", "9.9.9.9, 1.2.3.4").status(),
                "the last X-Forwarded-For entry is the client ip-restriction sees");
        HttpResult ok = gw().http("GET", "/rip", null, "X-Forwarded-For", "1.2.3.4,  5.6.7.8");
        assertEquals(200, ok.status());
        assertEquals("5.6.7.8", ENV.mock().lastRequest().header("X-Real-IP"), "the upstream gets the real client");
        assertEquals("1.2.3.4,  5.6.7.8, 5.6.7.8", ENV.mock().lastRequest().header("X-Forwarded-For"));

        // recursive: trusted proxies at the right of the chain are skipped
        route("rip", "/rip", new JsonObject()
                .put("real-ip", new JsonObject().put("source", "http_x_forwarded_for").put("recursive", true)
                        .put("trusted_addresses", new JsonArray().add("127.0.0.1").add("10.0.0.0/8")))
                .put("ip-restriction", deny));
        eventually("recursive", () -> gw().http("GET", "/rip", null,
                "X-Forwarded-For", "1.2.3.4, 10.0.0.7, 10.1.1.1").status() == 403);
        assertEquals(200, gw().http("GET", "/rip", null, "X-Forwarded-For", "1.2.3.4, 8.8.8.8, 10.1.1.1").status());
        assertEquals("8.8.8.8", ENV.mock().lastRequest().header("X-Real-IP"));

        // another source, with a port; a bad value changes nothing
        route("rip", "/rip", new JsonObject().put("real-ip", new JsonObject().put("source", "http_x_client")));
        eventually("source http_x_client", () -> gw().http("GET", "/rip", null, "X-Client", "5.6.7.8:9000").status() == 200
                && "5.6.7.8".equals(ENV.mock().lastRequest().header("X-Real-IP")));
        gw().http("GET", "/rip", null, "X-Client", "not-an-ip");
        assertEquals("127.0.0.1", ENV.mock().lastRequest().header("X-Real-IP"));

        // a peer that is not trusted keeps its own address
        route("rip", "/rip", new JsonObject().put("real-ip", new JsonObject().put("source", "http_x_client")
                .put("trusted_addresses", new JsonArray().add("192.168.0.0/16"))));
        eventually("untrusted peer", () -> {
            gw().http("GET", "/rip", null, "X-Client", "5.6.7.8");
            return "127.0.0.1".equals(ENV.mock().lastRequest().header("X-Real-IP"));
        });

        HttpResult bad = gw().admin("PUT", "/routes/rip-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("real-ip", new JsonObject().put("source", "http_x_a")
                        .put("trusted_addresses", new JsonArray().add("1.2.3.999")))).encode());
        assertEquals(400, bad.status());
        assertTrue(bad.jsonObject().getString("error_msg").contains("invalid ip address: 1.2.3.999"), bad.body());
        assertEquals(400, gw().admin("PUT", "/routes/rip-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("real-ip", new JsonObject())).encode()).status(), "source is required");
    }

    // ------------------------------------------------------------------ limit-req / limit-conn

    @Test
    void limitReqRefusesPastTheBurstPerKey() {
        ENV.mock().respond("/lr", (req, rec) -> req.response().end("ok"));
        route("lr", "/lr", new JsonObject().put("limit-req", new JsonObject().put("rate", 0.1).put("burst", 1)
                .put("key", "http_x_api_key").put("nodelay", true)
                .put("rejected_code", 429).put("rejected_msg", "slow down")));
        assertEquals(200, gw().http("GET", "/lr", null, "X-Api-Key", "a").status());
        assertEquals(200, gw().http("GET", "/lr", null, "X-Api-Key", "a").status(), "the burst lets one more in");
        HttpResult refused = gw().http("GET", "/lr", null, "X-Api-Key", "a");
        assertEquals(429, refused.status());
        assertEquals("slow down", refused.jsonObject().getString("error_msg"));
        assertEquals(200, gw().http("GET", "/lr", null, "X-Api-Key", "b").status(), "another key has its own bucket");

        // defaults: 503 without a body; a request within the burst waits (never refused) when not nodelay
        route("lr", "/lr", new JsonObject().put("limit-req", new JsonObject().put("rate", 4).put("burst", 1)
                .put("key", "remote_addr")));
        sleep(600); // let the bucket of the previous configuration drain (the key changes with the config anyway)
        assertEquals(200, gw().http("GET", "/lr", null).status());
        long t0 = System.nanoTime();
        assertEquals(200, gw().http("GET", "/lr", null).status());
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 100, "the second request waited its turn in the bucket (~250 ms): " + waitedMs);
        route("lr", "/lr", new JsonObject().put("limit-req", new JsonObject().put("rate", 0.1).put("burst", 0)
                .put("key", "remote_addr")));
        eventually("burst 0", () -> gw().http("GET", "/lr", null).status() == 503);
        assertEquals(503, gw().http("GET", "/lr", null).status());

        HttpResult redis = gw().admin("PUT", "/routes/lr-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("limit-req", new JsonObject().put("rate", 1).put("burst", 0)
                        .put("key", "remote_addr").put("rate", 0))).encode());
        assertEquals(400, redis.status(), "rate must be > 0");
    }

    @Test
    void limitConnCountsRequestsInFlight() throws Exception {
        java.util.concurrent.BlockingQueue<io.vertx.core.http.HttpServerRequest> held =
                new java.util.concurrent.LinkedBlockingQueue<>();
        ENV.mock().respond("/lc", (req, rec) -> {
            if (req.method() == io.vertx.core.http.HttpMethod.GET) {
                held.add(req); // answered by the test: the request stays in flight until then
            } else {
                req.response().end(); // the liveness probe
            }
        });
        route("lc", "/lc", new JsonObject().put("limit-conn", new JsonObject().put("conn", 1).put("burst", 0)
                .put("default_conn_delay", 0.1).put("key", "remote_addr").put("rejected_msg", "too many")));
        java.net.http.HttpClient client = gw().httpClient();
        var first = client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw().url("/lc"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        io.vertx.core.http.HttpServerRequest inFlight = held.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(inFlight != null, "the first request reached the upstream");
        HttpResult second = gw().http("GET", "/lc", null);
        assertEquals(503, second.status(), "one in flight, conn 1, burst 0");
        assertEquals("too many", second.jsonObject().getString("error_msg"));
        inFlight.response().end("done");
        assertEquals(200, first.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        // the count is given back when the first response ended
        var third = client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw().url("/lc"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        io.vertx.core.http.HttpServerRequest again = held.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(again != null, "a request after the first ended is let through");
        again.response().end("done");
        assertEquals(200, third.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());

        assertEquals(400, gw().admin("PUT", "/routes/lc-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("limit-conn", new JsonObject().put("conn", 1).put("burst", 0)
                        .put("key", "remote_addr"))).encode()).status(), "default_conn_delay is required");
        // APISIX 3.16's rules: accepted; a rule needs its key
        JsonObject rule = new JsonObject().put("conn", 1).put("burst", 0);
        HttpResult rules = gw().admin("PUT", "/routes/lc-rules", new JsonObject().put("uri", "/lc-rules")
                .put("plugins", new JsonObject().put("limit-conn", new JsonObject().put("default_conn_delay", 0.1)
                        .put("rules", new io.vertx.core.json.JsonArray().add(rule.copy().put("key", "$remote_addr")))))
                .encode());
        assertTrue(rules.status() == 200 || rules.status() == 201, rules.toString());
        HttpResult noKey = gw().admin("PUT", "/routes/lc-rules", new JsonObject().put("uri", "/lc-rules")
                .put("plugins", new JsonObject().put("limit-conn", new JsonObject().put("default_conn_delay", 0.1)
                        .put("rules", new io.vertx.core.json.JsonArray().add(rule)))).encode());
        assertEquals(400, noKey.status(), noKey.toString());
        assertTrue(noKey.jsonObject().getString("error_msg").contains("limit-conn"), noKey.toString());
    }

    // ------------------------------------------------------------------ http-logger / file-logger

    private static List<dev.aigw.testkit.MockLlm.RecordedRequest> sinkPosts(String path, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            List<dev.aigw.testkit.MockLlm.RecordedRequest> got = ENV.mock().requests().stream()
                    .filter(q -> q.path().equals(path) && q.method().equals("POST")).toList();
            if (got.size() >= atLeast) {
                return got;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("the log sink got " + got.size() + " batches, expected " + atLeast);
            }
            sleep(100);
        }
    }

    @Test
    void httpLoggerPostsBatchesToTheSink() {
        ENV.mock().respond("/hl", (req, rec) -> req.response().end("logged route"));
        ENV.mock().respond("/sink/json", (req, rec) -> req.response().end());
        ENV.mock().respond("/sink/lines", (req, rec) -> req.response().end());
        route("hl", "/hl", new JsonObject().put("http-logger", new JsonObject()
                .put("uri", ENV.mock().url() + "/sink/json").put("auth_header", "Bearer sink-secret")
                .put("batch_max_size", 1).put("include_resp_body", true)));
        assertEquals(200, gw().http("GET", "/hl?q=1", null, "X-Api-Key", "secret-key").status());
        // the route's liveness probe (OPTIONS) was logged too: find the GET's batch
        var one = sinkPosts("/sink/json", 2).stream().filter(q -> q.body().contains("\"GET\"")).findFirst().orElseThrow();
        assertEquals("Bearer sink-secret", one.header("Authorization"));
        assertTrue(one.header("Content-Type").startsWith("application/json"));
        JsonObject entry = new JsonObject(one.body());
        assertEquals("hl", entry.getString("route_id"));
        assertEquals(200, entry.getJsonObject("response").getInteger("status"));
        assertEquals("/hl?q=1", entry.getJsonObject("request").getString("uri"));
        assertEquals("logged route", entry.getJsonObject("response").getString("body"));

        // new_line with a batch of 3 and a custom log_format; a route of its own, so that route()
        // returns only once it serves (a changed route would answer before and after the change)
        ENV.mock().respond("/hl/lines", (req, rec) -> req.response().end("logged route"));
        route("hl-lines", "/hl/lines", new JsonObject().put("http-logger", new JsonObject()
                .put("uri", ENV.mock().url() + "/sink/lines").put("concat_method", "new_line")
                .put("batch_max_size", 3).put("inactive_timeout", 1)
                .put("log_format", new JsonObject().put("host", "$host").put("path", "$uri").put("status", "$status"))));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, gw().http("GET", "/hl/lines", null).status());
        }
        var lines = sinkPosts("/sink/lines", 1);
        String all = String.join("\n", lines.stream().map(dev.aigw.testkit.MockLlm.RecordedRequest::body).toList());
        assertTrue(lines.get(0).header("Content-Type").startsWith("text/plain"));
        List<String> split = all.lines().toList();
        assertTrue(split.size() >= 3, all);
        for (String line : split) {
            JsonObject e = new JsonObject(line); // one JSON object per line (the probe's too)
            assertEquals("/hl/lines", e.getString("path"));
            assertEquals(200, Integer.parseInt(String.valueOf(e.getValue("status"))));
        }

        HttpResult bad = gw().admin("PUT", "/routes/hl-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("http-logger", new JsonObject())).encode());
        assertEquals(400, bad.status(), "uri is required");
    }

    private static List<String> linesOf(java.nio.file.Path file, int atLeast) throws java.io.IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = java.nio.file.Files.exists(file) ? java.nio.file.Files.readAllLines(file) : List.of();
            if (lines.size() >= atLeast) {
                return lines;
            }
            if (System.nanoTime() - deadline > 0) {
                fail(file + " has " + lines.size() + " lines, expected " + atLeast);
            }
            sleep(100);
        }
    }

    @Test
    void fileLoggerAppendsMatchingRequestsAndSurvivesRotation() throws Exception {
        ENV.mock().respond("/fl", (req, rec) -> req.response().end("ok"));
        route("fl", "/fl", new JsonObject().put("file-logger", new JsonObject().put("path", "logs/file-logger.log")
                .put("match", new JsonArray().add(new JsonArray().add("arg_log").add("==").add("1")))));
        java.nio.file.Path file = ENV.prefix().resolve("logs/file-logger.log");
        assertEquals(200, gw().http("GET", "/fl?log=0", null).status());
        assertEquals(200, gw().http("GET", "/fl?log=1", null).status());
        List<String> lines = linesOf(file, 1);
        JsonObject entry = new JsonObject(lines.get(0));
        assertEquals("/fl?log=1", entry.getJsonObject("request").getString("uri"));
        assertEquals("fl", entry.getString("route_id"));

        // logrotate moves the file away: the next line goes to a new file at the path
        java.nio.file.Files.move(file, ENV.prefix().resolve("logs/file-logger.log.1"));
        assertEquals(200, gw().http("GET", "/fl?log=1&after=rotation", null).status());
        List<String> fresh = linesOf(file, 1);
        assertTrue(fresh.get(0).contains("after=rotation"), fresh.toString());
        assertEquals(1, java.nio.file.Files.readAllLines(ENV.prefix().resolve("logs/file-logger.log.1")).size(),
                "the rotated file keeps what it had; requests that did not match were never logged");

        HttpResult bad = gw().admin("PUT", "/routes/fl-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("file-logger", new JsonObject().put("path", "x.log")
                        .put("match", new JsonArray().add(new JsonArray().add("arg_a").add("~~").add("("))))).encode());
        assertEquals(400, bad.status());
        assertTrue(bad.jsonObject().getString("error_msg").contains("failed to validate the 'match' expression"), bad.body());
    }

    // ------------------------------------------------------------------ ai-request-rewrite

    @Test
    void aiRequestRewriteReplacesTheBodyWithTheLlmsAnswer() {
        ENV.mock().respond("/arr", (req, rec) -> req.response().end("upstream saw: " + rec.body()));
        ENV.mock().content("{\"name\":\"[REDACTED]\"}");
        route("arr", "/arr", new JsonObject().put("ai-request-rewrite", new JsonObject()
                .put("prompt", "Mask every personal name in the JSON you get.")
                .put("provider", "openai-compatible")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer llm-key")))
                .put("options", new JsonObject().put("model", "rewriter-1"))
                .put("override", new JsonObject().put("endpoint", ENV.mock().url() + "/v1/chat/completions"))));
        HttpResult r = gw().http("POST", "/arr", "{\"name\":\"Ada Lovelace\"}", "Content-Type", "application/json",
                "X-Client-Trace", "t-1");
        assertEquals(200, r.status(), r.body());
        assertEquals("upstream saw: {\"name\":\"[REDACTED]\"}", r.body());
        var llm = ENV.mock().requests(dev.aigw.testkit.MockLlm.Kind.CHAT);
        assertEquals(1, llm.size());
        JsonObject sent = llm.get(0).json();
        assertEquals("Bearer llm-key", llm.get(0).header("Authorization"));
        assertNull(llm.get(0).header("X-Client-Trace"), "the client's headers are not sent to the LLM");
        assertEquals("t-1", ENV.mock().lastRequest().header("X-Client-Trace"), "but they reach the upstream");
        assertEquals("rewriter-1", sent.getString("model"));
        assertEquals("system", sent.getJsonArray("messages").getJsonObject(0).getString("role"));
        assertEquals("Mask every personal name in the JSON you get.",
                sent.getJsonArray("messages").getJsonObject(0).getString("content"));
        assertEquals("{\"name\":\"Ada Lovelace\"}", sent.getJsonArray("messages").getJsonObject(1).getString("content"));

        int upstreamBefore = (int) ENV.mock().requests().stream().filter(q -> q.path().equals("/arr")
                && q.method().equals("POST")).count();
        assertEquals(400, gw().http("POST", "/arr", null).status(), "no body");
        ENV.mock().status(500);
        assertEquals(500, gw().http("POST", "/arr", "{\"a\":1}", "Content-Type", "application/json").status(),
                "the LLM failed");
        assertEquals(upstreamBefore, ENV.mock().requests().stream().filter(q -> q.path().equals("/arr")
                && q.method().equals("POST")).count(), "nothing reached the upstream after a failed rewrite");

        HttpResult bad = gw().admin("PUT", "/routes/arr-bad", new JsonObject().put("uri", "/x")
                .put("plugins", new JsonObject().put("ai-request-rewrite", new JsonObject()
                        .put("provider", "openai").put("auth", new JsonObject()))).encode());
        assertEquals(400, bad.status(), "prompt is required");
    }

    static HttpResult put(String id, JsonObject conf) {
        return gw().admin("PUT", "/routes/" + id, new JsonObject().put("uri", "/bad")
                .put("plugins", new JsonObject().put("response-rewrite", conf)).encode());
    }
}
