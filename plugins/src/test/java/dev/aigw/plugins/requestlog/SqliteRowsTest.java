package dev.aigw.plugins.requestlog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the SQLite writer stores is exactly what each row held: every column's value and type
 * (integers as integers, decimals as reals, NULL where a row has none), text with quotes, escapes,
 * control characters and non-ASCII, large payloads, rows in order; and a batch whose columns are
 * all NULL in every row (left out of its statement); and values every row of a batch shares (written
 * into the statement as literals) whatever they hold: quotes, SQL, backslashes, non-ASCII, long text.
 */
class SqliteRowsTest {

    @TempDir
    Path dir;

    private static final String[] NAMES = {"time_ms", "request_id", "route_id", "route_name", "consumer", "client_ip",
        "request_type", "provider", "instance", "request_model", "model", "status", "upstream_status", "latency_ms",
        "ttft_ms", "prompt_tokens", "completion_tokens", "cached_tokens", "total_tokens", "cost", "cost_source",
        "attempts", "cache_status", "request_text", "response_text"};

    private static LogRow row(long t, String consumer, Long ttft, Double cost, String req, String resp) {
        return new LogRow(t, "req-" + t, "r1", null, consumer, "127.0.0.1", "ai_chat", "openai", null, "gpt-4o",
                "gpt-4o-2024-08-06", 200, t % 2 == 0 ? 200 : null, 1.25 + t % 7 / 3.0, ttft, 21L, 12L, null, 33L, cost,
                cost == null ? null : "price", 1, null, req, resp, List.of());
    }

    @Test
    void everyValueAndTypeComesBackAsTheRowHeldIt() throws Exception {
        RequestLogDb db = new RequestLogDb(RequestLogDb.Target.parse("sqlite:requests.db", dir));
        db.open();
        String tricky = "quote \" backslash \\ tab \t newline \n nul-free control \u0001 é 中文 🙂 </script>";
        String big = "x".repeat(600_000);
        List<LogRow> rows = new ArrayList<>();
        rows.add(row(1_796_000_000_000L, null, null, null, null, null));
        rows.add(row(1_796_000_000_001L, "alice", 42L, 0.0001725, tricky, tricky));
        rows.add(row(1_796_000_001_000L, null, null, 3.0, big, null));
        rows.add(row(1_796_000_001_003L, "bob", 7L, 1e-9, null, big + "y"));
        rows.add(row(1_796_000_001_004L, null, null, null, null, "after the big ones"));
        db.insert(rows);
        db.insert(List.of(row(1_796_000_002_000L, null, null, null, null, null))); // a batch with the NULL columns left out
        db.close();

        List<LogRow> expected = new ArrayList<>(rows);
        expected.add(row(1_796_000_002_000L, null, null, null, null, null));
        assertStored(expected);
    }

    @Test
    void batchesLargerThanOneMultiRowInsertKeepEveryRowInOrder() throws Exception {
        RequestLogDb db = new RequestLogDb(RequestLogDb.Target.parse("sqlite:requests.db", dir));
        db.open();
        List<LogRow> expected = new ArrayList<>();
        for (int size : new int[] {50, 137, 1000}) { // one group exactly; groups and a rest; a default batch
            List<LogRow> batch = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                long t = 1_796_000_000_000L + expected.size() + batch.size();
                batch.add(row(t, i % 3 == 0 ? null : "c" + i % 5, i % 4 == 0 ? null : (long) i, i % 6 == 0 ? null : i / 7.0,
                        null, i % 9 == 0 ? "reply " + i : null));
            }
            db.insert(batch);
            expected.addAll(batch);
        }
        db.close();
        assertStored(expected);
    }

    private void assertStored(List<LogRow> expected) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("requests.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM llm_requests ORDER BY id")) {
            long lastId = 0;
            for (LogRow r : expected) {
                assertEquals(true, rs.next(), "row " + r.requestId());
                long id = rs.getLong("id");
                assertEquals(true, id > lastId, "ids rise in the batch's order");
                lastId = id;
                assertEquals(Instant.ofEpochMilli(r.timeMs()).toString(), rs.getString("time"));
                Object[] want = {r.timeMs(), r.requestId(), r.routeId(), r.routeName(), r.consumer(), r.clientIp(),
                    r.requestType(), r.provider(), r.instance(), r.requestModel(), r.model(), (long) r.status(),
                    r.upstreamStatus() == null ? null : (long) r.upstreamStatus(), r.latencyMs(), r.ttftMs(),
                    r.promptTokens(), r.completionTokens(), r.cachedTokens(), r.totalTokens(), r.cost(), r.costSource(),
                    r.attempts() == null ? null : (long) r.attempts(), r.cacheStatus(), r.requestText(), r.responseText()};
                for (int i = 0; i < want.length; i++) {
                    Object got = rs.getObject(NAMES[i]);
                    if (got instanceof Integer n) {
                        got = n.longValue(); // the driver hands small integers back as Integer
                    }
                    assertEquals(want[i], got, NAMES[i] + " of " + r.requestId());
                }
            }
            assertEquals(false, rs.next());
        }
    }

    @Test
    void valuesEveryRowOfABatchSharesComeBackExactly() throws Exception {
        RequestLogDb db = new RequestLogDb(RequestLogDb.Target.parse("sqlite:requests.db", dir));
        db.open();
        List<String> shared = List.of("o'brien", "x'); DROP TABLE llm_requests; --", "''", "back\\slash \\'",
                "é 中文 🙂", "tab\tnewline\n", "", "a".repeat(300), "plain-route_1.2");
        long t = 1_796_000_000_000L;
        for (String v : shared) {
            List<LogRow> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(new LogRow(t, "req-" + t++, v, v, v, v, v, v, v, v, v, 429, 503, 1.5, 7L, 21L, 12L, 0L,
                        33L, 0.5, v, 2, v, null, null, List.of()));
            }
            db.insert(batch);
        }
        db.close();
        String[] textColumns = {"route_id", "route_name", "consumer", "client_ip", "request_type", "provider",
            "instance", "request_model", "model", "cost_source", "cache_status"};
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("requests.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM llm_requests ORDER BY id")) {
            for (String v : shared) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(true, rs.next(), "row " + i + " of " + v);
                    for (String col : textColumns) {
                        assertEquals(v, rs.getString(col), col);
                    }
                    assertEquals(429, rs.getInt("status"));
                    assertEquals(503, rs.getInt("upstream_status"));
                    assertEquals(2, rs.getInt("attempts"));
                    assertEquals(0L, rs.getObject("cached_tokens") instanceof Number n ? n.longValue() : -1L);
                }
            }
            assertEquals(false, rs.next());
        }
    }

    @Test
    void onlyPrintableAsciiWithoutBackslashesIsWrittenAsALiteral() {
        assertEquals("'o''brien'", RequestLogDb.literal("o'brien"));
        assertEquals("''", RequestLogDb.literal(""));
        assertEquals("42", RequestLogDb.literal(42));
        assertEquals("-7", RequestLogDb.literal(-7L));
        assertEquals(null, RequestLogDb.literal(1.5));
        assertEquals(null, RequestLogDb.literal("back\\slash"));
        assertEquals(null, RequestLogDb.literal("é"));
        assertEquals(null, RequestLogDb.literal("tab\t"));
        assertEquals(null, RequestLogDb.literal("a".repeat(257)));
        assertEquals(null, RequestLogDb.literal(null));
    }
}
