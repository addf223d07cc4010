package dev.aigw.t.requestlog;

import dev.aigw.t.Pause;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A gateway with {@code ai-request-log} on a global rule, ai-proxy routes to the mock LLM, and rows
 * read back with the database's own JDBC driver. Subclasses start the gateway against their
 * database ({@link #start}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RequestLogEnv {

    static final Duration WAIT = Duration.ofSeconds(20);
    /** The client's own key: it must never reach a row. */
    static final String CLIENT_KEY = "sk-client-gateway-key-0123456789";

    MockLlm mock;
    GatewayProcess gw;
    Path prefix;

    /** A connection to the database the gateway writes to. */
    abstract Connection connect() throws SQLException;

    /** Starts the mock and the gateway ({@code extra} adds config), and puts the logging global rule. */
    void start(java.util.function.Consumer<GatewayConfig> extra) {
        mock = new MockLlm();
        try {
            prefix = Files.createTempDirectory("aigw-t-reqlog-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GatewayConfig config = GatewayConfig.create()
                .set("nginx_config.http.access_log_format", "RL|$http_x_test_id|$llm_cost|$status");
        extra.accept(config);
        gw = GatewayProcess.builder(prefix).config(config).start();
        JsonObject rule = new JsonObject().put("plugins", new JsonObject().put("ai-request-log", new JsonObject()
                .put("inactive_timeout", 1).put("batch_max_size", 50)
                .put("custom_cost_header", "cf-aig-custom-cost")));
        HttpResult r = gw.admin("PUT", "/global_rules/request-log", rule.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "global rule stored: " + r);
    }

    @AfterAll
    void stopAll() {
        if (gw != null) {
            gw.close();
        }
        if (mock != null) {
            mock.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    static String testId() {
        return "t-" + UUID.randomUUID().toString().substring(0, 12);
    }

    /** A chat (or, with {@code embeddings}, an embeddings) route {@code /<id>/v1/…} with payload logging. */
    void route(String id, boolean embeddings) {
        String uri = "/" + id + (embeddings ? "/v1/embeddings" : "/v1/chat/completions");
        JsonObject aiProxy = new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-provider-key-abcdefgh")))
                .put("override", new JsonObject().put("endpoint", mock.url() + (embeddings ? "/v1/embeddings" : "/v1/chat/completions")))
                .put("logging", new JsonObject().put("summaries", true).put("payloads", true));
        JsonObject route = new JsonObject().put("uri", uri).put("name", "route " + id)
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy));
        putRoute(id, route);
    }

    /** Stores a route and waits (bounded) until ai-proxy answers on it (a non-AI body is refused with 400). */
    void putRoute(String id, JsonObject route) {
        HttpResult r = gw.admin("PUT", "/routes/" + id, route.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "route " + id + " stored: " + r);
        String uri = route.getString("uri");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            HttpResult p = gw.http("POST", uri, "{\"route-probe\":true}");
            if (p.status() == 400) {
                return;
            }
            Pause.sleep(50);
        }
        fail("route " + id + " not live within " + WAIT);
    }

    static String chatBody(String model, String text, boolean stream) {
        return new JsonObject().put("model", model).put("stream", stream)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", text)))
                .encode();
    }

    HttpResult post(String path, String body, String... extraHeaders) {
        List<String> h = new ArrayList<>(List.of("Authorization", "Bearer " + CLIENT_KEY));
        h.addAll(List.of(extraHeaders));
        return gw.http("POST", path, body, h.toArray(new String[0]));
    }

    /** The rows of one route, oldest first. */
    List<Map<String, Object>> rows(String routeId) {
        return query("SELECT * FROM llm_requests WHERE route_id = ? ORDER BY id", routeId);
    }

    List<Map<String, Object>> query(String sql, Object... args) {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i).toLowerCase(), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            return null; // not there yet (no table before the first write)
        }
    }

    /** Waits (bounded) until a route has {@code n} rows. */
    List<Map<String, Object>> awaitRows(String routeId, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<Map<String, Object>> r = rows(routeId);
            if (r != null && r.size() >= n) {
                return r;
            }
            if (System.nanoTime() - deadline >= 0) {
                fail("expected " + n + " rows for route " + routeId + ", got " + (r == null ? "no table" : r.size())
                        + "; gateway log:\n" + gw.outputTail(30));
            }
            Pause.sleep(100);
        }
    }

    static long num(Object v) {
        assertNotNull(v, "a number was expected");
        return ((Number) v).longValue();
    }

    static double dbl(Object v) {
        assertNotNull(v, "a number was expected");
        return ((Number) v).doubleValue();
    }

    String accessLogCost(String testId) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            for (String l : gw.accessLogLines()) {
                if (l.startsWith("RL|" + testId + "|")) {
                    return l.split("\\|")[2];
                }
            }
            Pause.sleep(50);
        }
        fail("no access log line for " + testId);
        return null;
    }
}
