package dev.aigw.plugins.requestlog;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;

/**
 * The request-log database over JDBC: SQLite (a file) or PostgreSQL. Blocking: every method runs on
 * the plugin's single worker thread, never on an event loop; one connection, opened on first use and
 * reopened after any failure (the database was restarted, the network dropped).
 *
 * <p>The gateway owns the schema: {@link #migrate} creates the tables on an empty database and
 * applies later migrations in order, recording the version in {@code aigw_schema_version}.
 */
final class RequestLogDb implements AutoCloseable {

    /** Where the rows go, parsed from {@code plugin_attr.ai-request-log.dsn}. */
    record Target(boolean postgres, String jdbcUrl, Properties props, String display) {

        /**
         * {@code sqlite:<path>} (relative to the prefix), {@code postgresql://user:pass@host:port/db?…}
         * (libpq's URI form) or a {@code jdbc:sqlite:} / {@code jdbc:postgresql:} URL as is.
         */
        static Target parse(String dsn, Path prefix) {
            Properties props = new Properties();
            if (dsn.startsWith("jdbc:postgresql:")) {
                return new Target(true, dsn, props, redact(dsn));
            }
            if (dsn.startsWith("postgres://") || dsn.startsWith("postgresql://")) {
                URI u = URI.create(dsn);
                String info = u.getRawUserInfo();
                if (info != null) {
                    int colon = info.indexOf(':');
                    props.setProperty("user", decode(colon < 0 ? info : info.substring(0, colon)));
                    if (colon >= 0) {
                        props.setProperty("password", decode(info.substring(colon + 1)));
                    }
                }
                String hostPort = u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
                String url = "jdbc:postgresql://" + hostPort + (u.getRawPath() == null ? "/" : u.getRawPath())
                        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
                return new Target(true, url, props, url);
            }
            String path = dsn.startsWith("jdbc:sqlite:") ? dsn.substring("jdbc:sqlite:".length())
                    : dsn.startsWith("sqlite:") ? dsn.substring("sqlite:".length()) : dsn;
            if (path.startsWith("//")) {
                path = path.substring(2);
            }
            Path file = prefix.resolve(path);
            return new Target(false, "jdbc:sqlite:" + file, props, file.toString());
        }

        private static String decode(String s) {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        }

        private static String redact(String url) {
            return url.replaceAll("(?i)(password=)[^&]*", "$1******");
        }
    }

    /** Migrations, in order; index + 1 is the schema version. Never edit one that shipped: add one. */
    private static List<String> migrations(boolean pg) {
        String id = pg ? "id BIGSERIAL PRIMARY KEY" : "id INTEGER PRIMARY KEY AUTOINCREMENT";
        String dbl = pg ? "DOUBLE PRECISION" : "REAL";
        return List.of(String.join("\n",
                "CREATE TABLE llm_requests (",
                "  " + id + ",",
                "  time TEXT NOT NULL,",
                "  time_ms BIGINT NOT NULL,",
                "  request_id TEXT,",
                "  route_id TEXT,",
                "  route_name TEXT,",
                "  consumer TEXT,",
                "  client_ip TEXT,",
                "  request_type TEXT,",
                "  provider TEXT,",
                "  instance TEXT,",
                "  request_model TEXT,",
                "  model TEXT,",
                "  status INTEGER NOT NULL,",
                "  upstream_status INTEGER,",
                "  latency_ms " + dbl + " NOT NULL,",
                "  ttft_ms BIGINT,",
                "  prompt_tokens BIGINT,",
                "  completion_tokens BIGINT,",
                "  cached_tokens BIGINT,",
                "  total_tokens BIGINT,",
                "  cost " + dbl + ",",
                "  cost_source TEXT,",
                "  attempts INTEGER,",
                "  request_text TEXT,",
                "  response_text TEXT",
                ");",
                "CREATE INDEX llm_requests_time ON llm_requests (time_ms);",
                "CREATE INDEX llm_requests_consumer ON llm_requests (consumer, time_ms);",
                "CREATE INDEX llm_requests_route ON llm_requests (route_id, time_ms);"),
                // 2: ai-cache's HIT / MISS / BYPASS (NULL: no ai-cache on the route, or a row from before)
                "ALTER TABLE llm_requests ADD COLUMN cache_status TEXT;",
                // 3: every row paid for two more B-trees (a third of the writer's CPU per row on SQLite:
                // 4.6 -> 3.3 us) that only a filtered spend report reads; the time index serves its range.
                // An operator who runs such reports often can add an index of their own: migrations
                // never touch indexes they do not name.
                "DROP INDEX IF EXISTS llm_requests_consumer;\nDROP INDEX IF EXISTS llm_requests_route;");
    }

    private final Target target;
    private Connection conn;

    RequestLogDb(Target target) {
        this.target = target;
    }

    Target target() {
        return target;
    }

    private Connection connection() throws SQLException {
        if (conn != null) {
            return conn;
        }
        Properties p = new Properties();
        p.putAll(target.props);
        if (target.postgres) {
            // a database that is down or unreachable must fail a batch quickly, not hold the worker
            p.putIfAbsent("connectTimeout", "3");
            p.putIfAbsent("socketTimeout", "10");
            p.putIfAbsent("loginTimeout", "5");
            p.putIfAbsent("ApplicationName", "aigw");
            // a batch goes as multi-row INSERTs, not one statement per row: fewer round trips and
            // less encoding per row on the gateway's side (a DSN may still turn it off)
            p.putIfAbsent("reWriteBatchedInserts", "true");
        } else {
            try {
                Path file = Path.of(target.jdbcUrl.substring("jdbc:sqlite:".length()));
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
            } catch (Exception e) {
                throw new SQLException("cannot create the directory of " + target.display + ": " + e.getMessage(), e);
            }
            p.putIfAbsent("journal_mode", "WAL");   // readers (sqlite3, the spend report) never block writes
            p.putIfAbsent("busy_timeout", "5000");
            p.putIfAbsent("synchronous", "NORMAL");
            // SQLITE_OPEN_READWRITE | CREATE | NOMUTEX: the one worker thread is the connection's only
            // user, so SQLite's own lock around every call (26 binds a row) is pure cost
            p.putIfAbsent("open_mode", String.valueOf(0x00000002 | 0x00000004 | 0x00008000));
        }
        Connection c = DriverManager.getConnection(target.jdbcUrl, p);
        try {
            migrate(c);
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        conn = c;
        return c;
    }

    /** Creates or upgrades the schema; a no-op when it is current. */
    private void migrate(Connection c) throws SQLException {
        List<String> steps = migrations(target.postgres);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS aigw_schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
        }
        int version = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT version FROM aigw_schema_version WHERE component = 'llm_requests'")) {
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    version = rs.getInt(1);
                }
            }
        }
        if (version >= steps.size()) {
            return;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            for (int v = version; v < steps.size(); v++) {
                try (Statement st = c.createStatement()) {
                    for (String sql : steps.get(v).split(";\n?")) {
                        if (!sql.isBlank()) {
                            st.execute(sql);
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(version == 0
                    ? "INSERT INTO aigw_schema_version (version, component) VALUES (?, 'llm_requests')"
                    : "UPDATE aigw_schema_version SET version = ? WHERE component = 'llm_requests'")) {
                ps.setInt(1, steps.size());
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Opens the connection (and migrates) now, so a wrong DSN shows at start. */
    void open() throws SQLException {
        connection();
    }

    /** A column of {@code llm_requests} and how a row's value for it is read. */
    private record Column(String name, Function<LogRow, Object> value) {
    }

    /** The columns rows are written to (after the generated id); {@code time} is the row's time as text. */
    private static final Column[] WRITTEN = {
        new Column("time", null), new Column("time_ms", LogRow::timeMs), new Column("request_id", LogRow::requestId),
        new Column("route_id", LogRow::routeId), new Column("route_name", LogRow::routeName),
        new Column("consumer", LogRow::consumer), new Column("client_ip", LogRow::clientIp),
        new Column("request_type", LogRow::requestType), new Column("provider", LogRow::provider),
        new Column("instance", LogRow::instance), new Column("request_model", LogRow::requestModel),
        new Column("model", LogRow::model), new Column("status", LogRow::status),
        new Column("upstream_status", LogRow::upstreamStatus), new Column("latency_ms", LogRow::latencyMs),
        new Column("ttft_ms", LogRow::ttftMs), new Column("prompt_tokens", LogRow::promptTokens),
        new Column("completion_tokens", LogRow::completionTokens), new Column("cached_tokens", LogRow::cachedTokens),
        new Column("total_tokens", LogRow::totalTokens), new Column("cost", LogRow::cost),
        new Column("cost_source", LogRow::costSource), new Column("attempts", LogRow::attempts),
        new Column("cache_status", LogRow::cacheStatus), new Column("request_text", LogRow::requestText),
        new Column("response_text", LogRow::responseText)};

    /**
     * Inserts a batch in one transaction. Each column goes into the statement in the cheapest form
     * the batch allows: left out when it is NULL in every row (NULL is its default), written as a
     * literal when every row holds the same short printable value (the route, client, provider and
     * models of a batch usually do), else a parameter bound per row. Each bind is a call into the
     * driver (a chat row without payloads had 19): literals took the writer from 3.7 to 3.1 µs a row
     * ({@code RowWriteBench}), and rows grouped into multi-row INSERTs to 2.5 µs.
     * On failure the connection is dropped and reopened next time.
     */
    void insert(List<LogRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        Object[][] values = new Object[rows.size()][];
        boolean[] used = new boolean[WRITTEN.length];
        boolean[] varies = new boolean[WRITTEN.length];
        IsoTime time = new IsoTime();
        for (int k = 0; k < values.length; k++) {
            LogRow r = rows.get(k);
            Object[] v = new Object[WRITTEN.length];
            v[0] = time.format(r.timeMs());
            for (int c = 1; c < WRITTEN.length; c++) {
                v[c] = WRITTEN[c].value().apply(r);
            }
            for (int c = 0; c < WRITTEN.length; c++) {
                used[c] |= v[c] != null;
                if (k > 0 && !varies[c] && !Objects.equals(v[c], values[0][c])) {
                    varies[c] = true;
                }
            }
            values[k] = v;
        }
        StringBuilder names = new StringBuilder();
        StringBuilder slots = new StringBuilder();
        boolean[] bound = new boolean[WRITTEN.length];
        for (int c = 0; c < WRITTEN.length; c++) {
            if (used[c]) {
                String literal = varies[c] ? null : literal(values[0][c]);
                bound[c] = literal == null;
                names.append(names.length() == 0 ? "" : ", ").append(WRITTEN[c].name());
                slots.append(slots.length() == 0 ? "" : ", ").append(bound[c] ? "?" : literal);
            }
        }
        String head = "INSERT INTO llm_requests (" + names + ") VALUES ";
        String row = "(" + slots + ")";
        // SQLite: whole groups of rows go as one multi-row INSERT, a statement step per group rather
        // than per row; PostgreSQL's driver already rewrites the batch so
        int group = target.postgres || values.length < ROWS_PER_INSERT ? 1 : ROWS_PER_INSERT;
        int grouped = values.length / group * group;
        try {
            Connection c = connection();
            c.setAutoCommit(false);
            try {
                insert(c, head + String.join(", ", Collections.nCopies(group, row)), values, 0, grouped, group, bound);
                if (grouped < values.length) {
                    insert(c, head + row, values, grouped, values.length, 1, bound);
                }
                c.commit();
            } catch (SQLException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is dropped below anyway
                }
                throw e;
            }
        } catch (SQLException e) {
            dropConnection();
            throw e;
        }
    }

    /** Rows of a SQLite multi-row INSERT: 26 columns at most, far below SQLite's 32 766 parameters. */
    private static final int ROWS_PER_INSERT = 50;

    /** Rows {@code from} (inclusive) to {@code to} of {@code values}, {@code group} rows per execution of {@code sql}. */
    private static void insert(Connection c, String sql, Object[][] values, int from, int to, int group,
                               boolean[] bound) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int k = from; k < to; k += group) {
                int i = 1;
                for (int r = k; r < k + group; r++) {
                    Object[] v = values[r];
                    for (int col = 0; col < v.length; col++) {
                        if (bound[col]) {
                            bind(ps, i++, v[col]);
                        }
                    }
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The longest text written as a literal: a batch's statement stays small. */
    private static final int MAX_LITERAL = 256;

    /**
     * A value as an SQL literal that SQLite and PostgreSQL both read back exactly, or null to bind
     * it: integers, and text of printable ASCII without a backslash (which PostgreSQL reads as an
     * escape when {@code standard_conforming_strings} is off), quotes doubled. Anything else (decimals,
     * control characters, non-ASCII) is bound, so no value is ever read differently from how a
     * parameter would store it.
     */
    static String literal(Object v) {
        if (v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        if (!(v instanceof String s) || s.length() > MAX_LITERAL) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch > 0x7e || ch == '\\') {
                return null;
            }
        }
        return "'" + s.replace("'", "''") + "'";
    }

    private static void bind(PreparedStatement ps, int i, Object v) throws SQLException {
        if (v instanceof String s) {
            ps.setString(i, s);
        } else if (v instanceof Long l) {
            ps.setLong(i, l);
        } else if (v instanceof Integer n) {
            ps.setInt(i, n);
        } else if (v instanceof Double d) {
            ps.setDouble(i, d);
        } else {
            ps.setNull(i, Types.NULL);
        }
    }

    /**
     * {@code Instant.ofEpochMilli(ms).toString()}, the {@code time} column's text, with the date and
     * time of day worked out once per second: a batch's rows fall in a few seconds, where the JDK's
     * formatter works out the whole text for every row.
     */
    static final class IsoTime {
        private long second = Long.MIN_VALUE;
        private String prefix; // "2026-12-04T19:49:51", the JDK's own text for that second

        String format(long ms) {
            long sec = Math.floorDiv(ms, 1000L);
            int milli = (int) Math.floorMod(ms, 1000L);
            if (sec != second) {
                String whole = Instant.ofEpochSecond(sec).toString();
                prefix = whole.substring(0, whole.length() - 1); // without the 'Z'
                second = sec;
            }
            if (milli == 0) {
                return prefix + "Z"; // as the JDK: no fraction when it is zero
            }
            char[] frac = {'.', (char) ('0' + milli / 100), (char) ('0' + milli / 10 % 10), (char) ('0' + milli % 10), 'Z'};
            return prefix.concat(new String(frac));
        }
    }

    /** The dimensions the spend report can group by: API name → column. */
    static String column(String dimension) {
        return switch (dimension) {
            case "consumer" -> "consumer";
            case "route" -> "route_id";
            case "model" -> "COALESCE(model, request_model)";
            case "provider" -> "provider";
            case "instance" -> "instance";
            default -> null;
        };
    }

    /**
     * Spend between {@code fromMs} (inclusive) and {@code toMs} (exclusive), grouped by the given
     * dimensions, optionally filtered: {@code {"total": {...}, "list": [...]}} with requests,
     * tokens and cost per group, the costliest first, at most {@code limit} groups.
     */
    JsonObject spend(long fromMs, long toMs, List<String> groupBy, List<String[]> filters, int limit)
            throws SQLException {
        StringBuilder where = new StringBuilder(" WHERE time_ms >= ? AND time_ms < ?");
        for (String[] f : filters) {
            where.append(" AND ").append(column(f[0])).append(" = ?");
        }
        String sums = "COUNT(*), COALESCE(SUM(cost), 0), COALESCE(SUM(prompt_tokens), 0),"
                + " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cached_tokens), 0),"
                + " COALESCE(SUM(total_tokens), 0), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN cost IS NULL AND status < 400 THEN 1 ELSE 0 END),"
                + " SUM(CASE WHEN cache_status = 'HIT' THEN 1 ELSE 0 END)";
        try {
            Connection c = connection();
            c.setAutoCommit(true);
            JsonObject total;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + sums + " FROM llm_requests" + where)) {
                bind(ps, fromMs, toMs, filters);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = sums(rs, 1);
                }
            }
            JsonArray list = new JsonArray();
            if (!groupBy.isEmpty()) {
                List<String> cols = new ArrayList<>();
                for (String g : groupBy) {
                    cols.add(column(g));
                }
                String keys = String.join(", ", cols);
                // the costliest first: the cost column comes after the keys and the count
                String sql = "SELECT " + keys + ", " + sums + " FROM llm_requests" + where + " GROUP BY " + keys
                        + " ORDER BY " + (cols.size() + 2) + " DESC LIMIT " + limit;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    bind(ps, fromMs, toMs, filters);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            JsonObject row = new JsonObject();
                            for (int i = 0; i < groupBy.size(); i++) {
                                row.put(groupBy.get(i), rs.getString(i + 1));
                            }
                            row.mergeIn(sums(rs, groupBy.size() + 1));
                            list.add(row);
                        }
                    }
                }
            }
            return new JsonObject().put("total", total).put("list", list);
        } catch (SQLException e) {
            dropConnection();
            throw e;
        }
    }

    private static void bind(PreparedStatement ps, long fromMs, long toMs, List<String[]> filters) throws SQLException {
        ps.setLong(1, fromMs);
        ps.setLong(2, toMs);
        int i = 3;
        for (String[] f : filters) {
            ps.setString(i++, f[1]);
        }
    }

    private static JsonObject sums(ResultSet rs, int first) throws SQLException {
        return new JsonObject()
                .put("requests", rs.getLong(first))
                .put("cost", rs.getDouble(first + 1))
                .put("prompt_tokens", rs.getLong(first + 2))
                .put("completion_tokens", rs.getLong(first + 3))
                .put("cached_tokens", rs.getLong(first + 4))
                .put("total_tokens", rs.getLong(first + 5))
                .put("failed_requests", rs.getLong(first + 6))
                .put("unpriced_requests", rs.getLong(first + 7))
                .put("cache_hits", rs.getLong(first + 8));
    }

    private void dropConnection() {
        Connection c = conn;
        conn = null;
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing to do: the connection is being thrown away
            }
        }
    }

    @Override
    public void close() {
        dropConnection();
    }
}
