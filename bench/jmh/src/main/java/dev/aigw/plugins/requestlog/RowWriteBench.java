package dev.aigw.plugins.requestlog;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * ai-request-log's writer per row: batches of 1 000 rows as the end-to-end benchmark's ai-proxy
 * route produces them (no payloads), inserted into a SQLite file opened exactly as the plugin opens
 * {@code logs/requests.db}, times rising as in real traffic (rows written with the same times again
 * would scatter the time index's inserts and measure something no gateway does). Wall time, so the
 * WAL's writes and checkpoints count; run pinned ({@code taskset -c 1}) to compare versions.
 * In this package to reach the package-private writer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class RowWriteBench {

    private static final int BATCH = 1000;

    private Path dir;
    private RequestLogDb db;
    private long time;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("aigw-rowbench");
        db = new RequestLogDb(RequestLogDb.Target.parse("sqlite:requests.db", dir));
        db.open();
        time = System.currentTimeMillis();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        db.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void insert() throws Exception {
        List<LogRow> rows = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            rows.add(new LogRow(time++, "req-" + i, "bench-ai-log", null, null, "127.0.0.1", "ai_chat", "openai",
                    null, "gpt-4o", "gpt-4o-2024-08-06", 200, 200, 1.25, null, 21L, 12L, 0L, 33L, 0.0001725,
                    "price", 1, null, null, null, List.of()));
        }
        db.insert(rows);
    }
}
