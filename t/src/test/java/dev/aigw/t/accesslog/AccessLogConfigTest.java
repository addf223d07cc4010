package dev.aigw.t.accesslog;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code nginx_config.http} keys, each with its own gateway: APISIX's default format and a
 * SIGTERM right after a burst, {@code enable_access_log: false}, {@code access_log} with
 * {@code access_log_format_escape: json}, and a format over the other documented variables.
 */
class AccessLogConfigTest {

    /** APISIX's default access_log_format, fields as groups. */
    private static final Pattern DEFAULT_LINE = Pattern.compile(
            "^(\\S+) - (\\S+) \\[([^\\]]+)\\] (\\S+) \"([^\"]*)\" (\\d{3}) (\\d+) (\\d+\\.\\d{3}) \"([^\"]*)\" "
                    + "\"([^\"]*)\" (\\S+) (\\S+) (\\S+) \"([^\"]*)\" \"([0-9a-f]{32})\"$");

    @Test
    void defaultFormatAndSigtermRightAfterABurstLosesNoLine(@TempDir Path prefix) throws Exception {
        GatewayProcess gw = GatewayProcess.start(prefix, GatewayConfig.create());
        try {
            int n = 2000;
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            Semaphore inFlight = new Semaphore(16);
            ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
            List<CompletableFuture<?>> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                assertTrue(inFlight.tryAcquire(30, TimeUnit.SECONDS), "request finished in time");
                HttpRequest req = HttpRequest.newBuilder(URI.create(gw.url("/flush/" + i)))
                        .timeout(Duration.ofSeconds(30)).header("User-Agent", "burst").GET().build();
                all.add(client.sendAsync(req, HttpResponse.BodyHandlers.discarding())
                        .whenComplete((r, e) -> {
                            inFlight.release();
                            if (r != null) {
                                statuses.add(r.statusCode());
                            }
                        }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
                    .get(60, TimeUnit.SECONDS);
            assertEquals(n, statuses.size(), "every request answered");
            // no wait for the writer: SIGTERM at once
            assertEquals(0, gw.stop(), "clean exit on SIGTERM\n" + gw.outputTail(20));
        } finally {
            gw.close();
        }
        List<String> lines = gw.accessLogLines();
        assertEquals(2000, lines.size(), "every line flushed before exit");
        for (String line : lines) {
            Matcher m = DEFAULT_LINE.matcher(line);
            assertTrue(m.matches(), "APISIX's default format: " + line);
            assertEquals("404", m.group(6));
            assertEquals("burst", m.group(10));
            assertTrue(m.group(5).matches("GET /flush/\\d+ HTTP/1\\.1"), m.group(5));
            assertEquals("-", m.group(11), "no upstream");
        }
    }

    @Test
    void disabledAccessLogWritesNoFile(@TempDir Path prefix) {
        GatewayConfig cfg = GatewayConfig.create().set("nginx_config.http.enable_access_log", false);
        try (GatewayProcess gw = GatewayProcess.start(prefix, cfg)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(404, gw.http("GET", "/x/" + i, null).status());
            }
            assertEquals(0, gw.stop());
            assertFalse(Files.exists(gw.accessLogFile()), "no access log at all");
            assertFalse(Files.exists(prefix.resolve("logs/access.log")));
        }
    }

    @Test
    void jsonEscapingAtACustomPath(@TempDir Path prefix) throws Exception {
        String format = "{\"ua\":\"$http_user_agent\",\"q\":\"$arg_q\",\"missing\":\"$http_x_missing\","
                + "\"status\":$status,\"rid\":\"$apisix_request_id\",\"t\":\"$time_iso8601\",\"msec\":$msec,"
                + "\"rt\":$request_time}";
        GatewayConfig cfg = GatewayConfig.create()
                .set("nginx_config.http.access_log", "logs/json/access.json")
                .set("nginx_config.http.access_log_format", format)
                .set("nginx_config.http.access_log_format_escape", "json");
        try (GatewayProcess gw = GatewayProcess.start(prefix, cfg)) {
            String ua = "say \"hi\"\t\\ {}";
            HttpResult r = gw.http("GET", "/json?q=a%22b%0Ac%5Cd%0D%7D", null, "User-Agent", ua);
            assertEquals(404, r.status());
            Path file = prefix.resolve("logs/json/access.json");
            assertTrue(MockLlm.await(() -> Files.exists(file) && lines(file).size() == 1, Duration.ofSeconds(10)),
                    "one line in " + file);
            assertFalse(Files.exists(gw.accessLogFile()), "nothing at the default path");
            JsonObject j = new JsonObject(lines(file).get(0)); // every line is valid JSON
            assertEquals(ua, j.getString("ua"));
            assertEquals("a\"b\nc\\d\r}", j.getString("q"), "url-decoded argument, newline and all, kept inside the string");
            assertEquals("", j.getString("missing"), "nginx's json escaping prints an unset variable as nothing");
            assertEquals(404, j.getInteger("status"));
            assertEquals(r.header("X-Request-Id"), j.getString("rid"));
            assertTrue(j.getString("t").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d"), j.getString("t"));
            double msec = j.getDouble("msec");
            assertTrue(Math.abs(msec * 1000 - System.currentTimeMillis()) < 60_000, "msec is epoch seconds: " + msec);
            assertTrue(j.getDouble("rt") >= 0);
        }
    }

    @Test
    void otherVariablesWithDefaultEscaping(@TempDir Path prefix) {
        String format = "q=$arg_q|rid=$route_id|rname=$route_name|scheme=$scheme|proto=$server_protocol"
                + "|saddr=$server_addr|sport=$server_port|rlen=$request_length|bsent=$bytes_sent"
                + "|bbs=$body_bytes_sent|conn=$connection|cookie=$cookie_sid|xrid=$sent_http_x_request_id"
                + "|ct=$sent_http_content_type|unknown=$no_such_variable|glued=${request_method}x|host=$host"
                + "|uri=$uri|ruri=$request_uri|req=$request|method=$request_method";
        GatewayConfig cfg = GatewayConfig.create().set("nginx_config.http.access_log_format", format);
        try (GatewayProcess gw = GatewayProcess.start(prefix, cfg)) {
            String route = "{\"uri\":\"/vars/*\",\"name\":\"vars \\\"route\\\"\",\"plugins\":{}}";
            assertEquals(201, gw.admin("PUT", "/routes/r-vars", route).status());
            assertTrue(MockLlm.await(() -> gw.http("GET", "/vars/ready", null).status() == 503, Duration.ofSeconds(10)),
                    "route active (no upstream: 503)");
            HttpResult r = gw.http("POST", "/vars/a%20b?q=x%0Ay%22z&n=1", "hello", "Cookie", "a=1; sid=s%20e; b=2",
                    "Content-Type", "text/plain");
            assertEquals(503, r.status());
            String needle = "|xrid=" + r.header("X-Request-Id") + "|";
            assertTrue(MockLlm.await(() -> gw.accessLogLines().stream().anyMatch(l -> l.contains(needle)),
                    Duration.ofSeconds(10)), "the request's line");
            List<String> mine = gw.accessLogLines().stream().filter(l -> l.contains(needle)).toList();
            assertEquals(1, mine.size(), "one line: " + mine);
            String line = mine.get(0);
            String port = Integer.toString(gw.config().nodePort());
            assertTrue(line.startsWith("q=x\\x0Ay\\x22z|"), "decoded argument, escaped: " + line);
            assertTrue(line.contains("|rid=r-vars|rname=vars \\x22route\\x22|scheme=http|proto=HTTP/1.1"
                    + "|saddr=127.0.0.1|sport=" + port + "|"), line);
            assertTrue(line.contains("|cookie=s%20e|xrid=" + r.header("X-Request-Id") + "|ct=application/json|unknown=-"
                    + "|glued=POSTx|host=127.0.0.1|uri=/vars/a b|ruri=/vars/a%20b?q=x%0Ay%22z&n=1"
                    + "|req=POST /vars/a%20b?q=x%0Ay%22z&n=1 HTTP/1.1|method=POST"), line);
            long bbs = field(line, "bbs");
            assertEquals(r.body().getBytes(StandardCharsets.UTF_8).length, bbs);
            assertTrue(field(line, "bsent") > bbs, "bytes_sent counts the head too");
            assertTrue(field(line, "rlen") > "POST /vars/a%20b?q=x%0Ay%22z&n=1 HTTP/1.1".length() + 5,
                    "request_length counts the request line, headers and body");
            assertTrue(field(line, "conn") > 0);
        }
    }

    private static long field(String line, String name) {
        Matcher m = Pattern.compile("\\|" + name + "=(\\d+)\\|").matcher(line);
        assertTrue(m.find(), name + " in " + line);
        return Long.parseLong(m.group(1));
    }

    private static List<String> lines(Path f) {
        try {
            return Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
