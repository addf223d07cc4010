package dev.aigw.t.requestlog;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows still in the batch at shutdown are written before the gateway exits (SIGTERM), into a
 * SQLite database left by the first release (schema version 1), migrated in place.
 */
class RequestLogShutdownTest extends RequestLogEnv {

    @BeforeAll
    void startGateway() {
        start(c -> { });
        // a batch that would wait a minute: only the shutdown flush can write it in time
        JsonObject rule = new JsonObject().put("plugins", new JsonObject().put("ai-request-log", new JsonObject()
                .put("inactive_timeout", 60).put("buffer_duration", 60).put("batch_max_size", 1000)));
        assertEquals(200, gw.admin("PUT", "/global_rules/request-log", rule.encode()).status());
    }

    @Override
    void prepare(Path prefix) {
        try {
            Files.createDirectories(prefix.resolve("logs"));
            prepareVersion1(DriverManager.getConnection("jdbc:sqlite:" + prefix.resolve("logs/requests.db")));
        } catch (java.io.IOException | SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    Connection connect() throws SQLException {
        Path db = prefix.resolve("logs/requests.db");
        if (!Files.exists(db)) {
            throw new SQLException("no database file yet");
        }
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    @Test
    void pendingRowsAreWrittenAtShutdown() {
        route("bye", false);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, post("/bye/v1/chat/completions", chatBody("gpt-4o", "bye " + i, false)).status());
        }
        List<Map<String, Object>> before = rows("bye");
        assertTrue(before == null || before.isEmpty(), "nothing written yet: the batch waits");
        gw.stop();
        List<Map<String, Object>> after = rows("bye");
        assertTrue(after != null && after.size() == 3, "the 3 pending rows written at shutdown: " + after
                + "\n" + gw.outputTail(20));
        assertMigratedFromVersion1();
        assertTrue(after.get(0).containsKey("cache_status"));
    }
}
