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
        prepare(prefix);
        gw = GatewayProcess.builder(prefix).startTimeout(Duration.ofSeconds(60)).config(config).start(); // a busy machine
        JsonObject rule = new JsonObject().put("plugins", new JsonObject().put("ai-request-log", new JsonObject()
                .put("inactive_timeout", 1).put("batch_max_size", 50)
                .put("custom_cost_header", "cf-aig-custom-cost")));
        HttpResult r = gw.admin("PUT", "/global_rules/request-log", rule.encode());
        assertTrue(r.status() == 200 || r.status() == 201, "global rule stored: " + r);
    }

    /** Before the gateway starts, in its prefix: nothing by default. */
    void prepare(Path prefix) {
    }

    /**
     * A database as the first release left it (schema version 1, no {@code cache_status}, one row of
     * route {@code legacy}), which the gateway must migrate in place.
     */
    static void prepareVersion1(Connection c) {
        try (c) {
            createVersion1(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare a version 1 database", e);
        }
    }

    /** After the gateway wrote: the version 1 database was migrated, its row kept. */
    void assertMigratedFromVersion1() {
        List<Map<String, Object>> v = query("SELECT version FROM aigw_schema_version WHERE component = 'llm_requests'");
        org.junit.jupiter.api.Assertions.assertEquals(3L, num(v.get(0).get("version")));
        List<Map<String, Object>> legacy = rows("legacy");
        org.junit.jupiter.api.Assertions.assertEquals(1, legacy.size(), "the row written before the upgrade is kept");
        org.junit.jupiter.api.Assertions.assertEquals(0.25, dbl(legacy.get(0).get("cost")), 1e-12);
        assertTrue(legacy.get(0).containsKey("cache_status"), "the new column exists: " + legacy.get(0));
        org.junit.jupiter.api.Assertions.assertNull(legacy.get(0).get("cache_status"), "and is empty for rows from before");
    }

    /** Schema version 1 of {@code llm_requests}, as shipped, with one priced row of route {@code legacy}. */
    static void createVersion1(Connection c) throws SQLException {
        boolean pg = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
        String dbl = pg ? "DOUBLE PRECISION" : "REAL";
        try (java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TABLE llm_requests (" + (pg ? "id BIGSERIAL PRIMARY KEY" : "id INTEGER PRIMARY KEY AUTOINCREMENT")
                    + ", time TEXT NOT NULL, time_ms BIGINT NOT NULL, request_id TEXT, route_id TEXT, route_name TEXT,"
                    + " consumer TEXT, client_ip TEXT, request_type TEXT, provider TEXT, instance TEXT, request_model TEXT,"
                    + " model TEXT, status INTEGER NOT NULL, upstream_status INTEGER, latency_ms " + dbl + " NOT NULL,"
                    + " ttft_ms BIGINT, prompt_tokens BIGINT, completion_tokens BIGINT, cached_tokens BIGINT,"
                    + " total_tokens BIGINT, cost " + dbl + ", cost_source TEXT, attempts INTEGER, request_text TEXT,"
                    + " response_text TEXT)");
            st.execute("CREATE INDEX llm_requests_time ON llm_requests (time_ms)");
            st.execute("CREATE INDEX llm_requests_consumer ON llm_requests (consumer, time_ms)");
            st.execute("CREATE INDEX llm_requests_route ON llm_requests (route_id, time_ms)");
            st.execute("CREATE TABLE aigw_schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
            st.execute("INSERT INTO aigw_schema_version (component, version) VALUES ('llm_requests', 1)");
            long t = System.currentTimeMillis() - 60_000;
            st.execute("INSERT INTO llm_requests (time, time_ms, route_id, model, status, latency_ms, prompt_tokens,"
                    + " completion_tokens, total_tokens, cost, cost_source) VALUES ('" + java.time.Instant.ofEpochMilli(t)
                    + "', " + t + ", 'legacy', 'gpt-4o', 200, 12.5, 10, 5, 15, 0.25, 'price')");
        }
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
        route(id, embeddings, new JsonObject());
    }

    /** As {@link #route(String, boolean)}, with more plugins ({@code ai-cache} …) beside ai-proxy. */
    void route(String id, boolean embeddings, JsonObject morePlugins) {
        String uri = "/" + id + (embeddings ? "/v1/embeddings" : "/v1/chat/completions");
        JsonObject aiProxy = new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-provider-key-abcdefgh")))
                .put("override", new JsonObject().put("endpoint", mock.url() + (embeddings ? "/v1/embeddings" : "/v1/chat/completions")))
                .put("logging", new JsonObject().put("summaries", true).put("payloads", true));
        JsonObject route = new JsonObject().put("uri", uri).put("name", "route " + id)
                .put("plugins", morePlugins.copy().put("ai-proxy", aiProxy));
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
