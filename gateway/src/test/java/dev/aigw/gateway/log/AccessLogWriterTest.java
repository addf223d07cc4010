package dev.aigw.gateway.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.aigw.gateway.context.CapturingServer;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RawHttp;
import dev.aigw.gateway.context.VariableRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class AccessLogWriterTest {

    @TempDir
    Path dir;

    private static final AccessLogFormat PLAIN = AccessLogFormat.compile("$status", AccessLogFormat.Escape.DEFAULT);

    private static List<String> lines(Path p) throws Exception {
        return Files.readAllLines(p, StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void writesEveryLineInOrder() throws Exception {
        Path file = dir.resolve("nested/logs/access.log");
        AccessLogWriter w = AccessLogWriter.start(PLAIN, file, AccessLogWriter.DEFAULT_QUEUE_CAPACITY);
        for (int i = 0; i < 10_000; i++) {
            assertTrue(w.enqueue("line " + i));
        }
        w.close();
        List<String> got = lines(file);
        assertEquals(10_000, got.size());
        for (int i = 0; i < 10_000; i++) {
            assertEquals("line " + i, got.get(i));
        }
        assertEquals(0, w.dropped());
        assertEquals(10_000, w.written());
    }

    @Test
    void closeFlushesQueuedLinesAndLaterLinesAreDropped() throws Exception {
        Path file = dir.resolve("access.log");
        AccessLogWriter w = AccessLogWriter.start(PLAIN, file, 1000);
        for (int i = 0; i < 500; i++) {
            w.enqueue("l" + i);
        }
        w.close(); // no waiting before: close itself must write what is queued
        assertEquals(500, lines(file).size());
        assertFalse(w.enqueue("after close"));
        assertEquals(1, w.dropped());
        w.close(); // idempotent
        assertEquals(500, lines(file).size());
    }

    @Test
    void reopensAfterTheFileIsMovedOrDeleted() throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        AccessLogWriter w = AccessLogWriter.start(PLAIN, file, 1000);
        try {
            w.enqueue("a1");
            w.enqueue("a2");
            await(() -> w.written() == 2, "first lines");
            Files.move(file, rotated);
            w.enqueue("b1");
            w.enqueue("b2");
            await(() -> w.written() == 4, "lines after the move");
            assertEquals(List.of("a1", "a2"), lines(rotated));
            assertEquals(List.of("b1", "b2"), lines(file));

            Files.delete(file);
            w.enqueue("c1");
            await(() -> w.written() == 5, "line after the delete");
            assertEquals(List.of("c1"), lines(file));
        } finally {
            w.close();
        }
        assertEquals(List.of("a1", "a2"), lines(rotated));
    }

    @Test
    void fullQueueDropsCountsAndReports() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AccessLogWriter.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            Path file = dir.resolve("access.log");
            // writer thread not started yet: nothing drains the queue
            AccessLogWriter w = new AccessLogWriter(PLAIN, file, 10);
            int accepted = 0;
            for (int i = 0; i < 25; i++) {
                if (w.enqueue("x" + i)) {
                    accepted++;
                }
            }
            assertEquals(10, accepted);
            assertEquals(15, w.dropped());
            w.start();
            w.close();
            assertEquals(List.of("x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"), lines(file));
            List<String> errors = new ArrayList<>();
            for (ILoggingEvent e : appender.list) {
                errors.add(e.getLevel() + " " + e.getFormattedMessage());
            }
            assertTrue(errors.stream().anyMatch(m -> m.startsWith("ERROR") && m.contains("dropped 15 lines")), errors.toString());
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void createReadsApisixKeysAndDefaults() throws Exception {
        assertNull(AccessLogWriter.create(new JsonObject("{\"nginx_config\":{\"http\":{\"enable_access_log\":false}}}"), dir));

        AccessLogWriter d = AccessLogWriter.create(new JsonObject(), dir);
        assertNotNull(d);
        try {
            assertEquals(dir.resolve("logs/access.log"), d.path());
            assertEquals(AccessLogFormat.DEFAULT_FORMAT, d.format().source());
            assertEquals(AccessLogFormat.Escape.DEFAULT, d.format().escape());
        } finally {
            d.close();
        }

        AccessLogWriter c = AccessLogWriter.create(new JsonObject()
                .put("nginx_config", new JsonObject().put("http", new JsonObject()
                        .put("access_log", "custom/a.log")
                        .put("access_log_format", "{\"s\":\"$status\"}")
                        .put("access_log_format_escape", "json"))), dir);
        try {
            assertEquals(dir.resolve("custom/a.log"), c.path());
            assertEquals(AccessLogFormat.Escape.JSON, c.format().escape());
        } finally {
            c.close();
        }

        assertThrows(IllegalArgumentException.class, () -> AccessLogWriter.create(new JsonObject()
                .put("nginx_config", new JsonObject().put("http", new JsonObject()
                        .put("access_log_format_escape", "xml"))), dir));
    }

    @Test
    void logsRealRequestsOneLineEach() throws Exception {
        VariableRegistry registry = new VariableRegistry();
        CoreVariables.register(registry);
        Path file = dir.resolve("logs/access.log");
        AccessLogWriter w = AccessLogWriter.create(new JsonObject(), dir);
        try (CapturingServer server = new CapturingServer(registry)) {
            server.onEnd(ctx -> {
                w.log(ctx);
                return w.format().format(ctx);
            });
            List<String> expected = new ArrayList<>();
            try (RawHttp client = new RawHttp(server.port())) {
                client.exchange("GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: x\"\r\n\r\n");
                expected.add(server.next());
                client.exchange("GET /b?q=%0Aforged%20line HTTP/1.1\r\nHost: h\r\n\r\n");
                expected.add(server.next());
            }
            w.close();
            List<String> got = lines(file);
            assertEquals(2, got.size(), got.toString());
            // time-dependent variables may differ between the two renderings; compare the stable part
            assertTrue(got.get(0).startsWith("127.0.0.1 - - ["), got.get(0));
            assertTrue(got.get(0).contains("\"GET /a HTTP/1.1\" 200 5 "), got.get(0));
            assertTrue(got.get(0).contains("\"x\\x22\""), got.get(0));
            assertTrue(got.get(1).contains("\"GET /b?q=%0Aforged%20line HTTP/1.1\" 200 5 "), got.get(1));
            assertEquals(expected.get(1).substring(0, expected.get(1).indexOf('[')),
                    got.get(1).substring(0, got.get(1).indexOf('[')));
        } finally {
            w.close();
        }
    }
}
