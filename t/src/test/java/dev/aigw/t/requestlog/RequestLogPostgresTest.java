package dev.aigw.t.requestlog;

import dev.aigw.t.Pause;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.PostgresProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The same cases against a real PostgreSQL ({@code plugin_attr.ai-request-log.dsn}), plus an outage:
 * the database stopped mid-run fails no request, the lost rows are counted, and writes resume once
 * it is back. This class owns its server (the outage stops it).
 */
class RequestLogPostgresTest extends RequestLogCases {

    PostgresProcess pg;

    @BeforeAll
    void startGateway() {
        pg = PostgresProcess.start();
        start(c -> c.set("plugin_attr.ai-request-log.dsn", pg.dsn("postgres")));
    }

    /** The database holds a version 1 schema before the gateway first connects. */
    @Override
    void prepare(java.nio.file.Path prefix) {
        try {
            prepareVersion1(connect());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Override
    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", PostgresProcess.USER);
        p.setProperty("connectTimeout", "2");
        return DriverManager.getConnection(pg.jdbcUrl(), p);
    }

    @Test
    void schemaIsCreatedAtStartWhenADatabaseIsConfigured() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Map<String, Object>> v;
        while ((v = query("SELECT version FROM aigw_schema_version WHERE component = 'llm_requests'")) == null
                || v.isEmpty()) {
            assertTrue(System.nanoTime() - deadline < 0, "schema not created at start:\n" + gw.outputTail(20));
            Pause.sleep(100);
        }
        assertEquals(3L, num(v.get(0).get("version")), "migrated at start");
        assertMigratedFromVersion1();
    }

    @Test
    void databaseDownFailsNoRequestCountsTheLostRowsAndWritesResume() {
        route("outage", false);
        assertEquals(200, post("/outage/v1/chat/completions", chatBody("gpt-4o", "before", false)).status());
        awaitRows("outage", 1);
        long failedBefore = stats().getLong("failed");

        pg.stop();
        for (int i = 0; i < 5; i++) {
            HttpResult r = post("/outage/v1/chat/completions", chatBody("gpt-4o", "during " + i, false));
            assertEquals(200, r.status(), "a request never fails for its log row: " + r);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (stats().getLong("failed") < failedBefore + 5) {
            if (System.nanoTime() - deadline >= 0) {
                fail("the 5 rows written while the database was down were not counted: " + stats());
            }
            Pause.sleep(200);
        }
        assertTrue(gw.awaitLog("ai-request-log: cannot write to", WAIT), "the outage is logged");
        assertTrue(!gw.allLogs().contains("sk-provider-key"), "no secret in the gateway's logs");

        pg.restart();
        for (int i = 0; i < 2; i++) {
            assertEquals(200, post("/outage/v1/chat/completions", chatBody("gpt-4o", "after " + i, false)).status());
        }
        List<Map<String, Object>> rows = awaitRows("outage", 3);
        assertEquals(3, rows.size(), "the row from before and the two from after; the five lost are counted");
        assertTrue(stats().getLong("written") >= 3);
    }

    private JsonObject stats() {
        HttpResult r = gw.admin("GET", "/ai-request-log/stats", null);
        assertEquals(200, r.status(), r.toString());
        return r.jsonObject();
    }
}
