package dev.aigw.t.requestlog;

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

/** The request log with no configuration: SQLite at {@code <prefix>/logs/requests.db}. */
class RequestLogSqliteTest extends RequestLogCases {

    @BeforeAll
    void startGateway() {
        start(c -> { });
    }

    Path dbFile() {
        return prefix.resolve("logs/requests.db");
    }

    @Override
    Connection connect() throws SQLException {
        if (!Files.exists(dbFile())) {
            throw new SQLException("no database file yet");
        }
        return DriverManager.getConnection("jdbc:sqlite:" + dbFile());
    }

    @Test
    void schemaIsVersionedByTheGateway() {
        route("schema", false);
        assertEquals(200, post("/schema/v1/chat/completions", chatBody("gpt-4o", "hi", false)).status());
        awaitRows("schema", 1);
        assertTrue(Files.exists(dbFile()), "logs/requests.db created by default");
        List<Map<String, Object>> v = query("SELECT version FROM aigw_schema_version WHERE component = 'llm_requests'");
        assertEquals(3L, num(v.get(0).get("version")), "every migration applied to a new database");
        List<Map<String, Object>> indexes = query("SELECT name FROM sqlite_master WHERE type = 'index'"
                + " AND tbl_name = 'llm_requests' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name");
        assertEquals(List.of(Map.of("name", "llm_requests_time")), indexes,
                "one index beside the key: every other one is a cost on every row");
    }
}
