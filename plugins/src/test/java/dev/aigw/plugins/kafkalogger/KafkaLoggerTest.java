package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.log.LogEntry;
import dev.aigw.plugins.PluginPipeline;
import dev.aigw.testkit.KafkaBroker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kafka-logger against a real broker, read back with a real KafkaConsumer. */
class KafkaLoggerTest {

    private static KafkaBroker kafka;
    private KafkaLoggerPlugin plugin;
    private PluginPipeline gw;

    @BeforeAll
    static void startBroker() {
        kafka = KafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        plugin = new KafkaLoggerPlugin();
        gw = new PluginPipeline(plugin);
    }

    @AfterEach
    void tearDown() throws Exception {
        gw.close();
    }

    private static JsonObject value(ConsumerRecord<String, String> r) {
        return new JsonObject(r.value());
    }

    @Test
    void oneDefaultEntryPerRequestWithTheKey() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.ROUTE_ID, "/*", KafkaLogs.conf(kafka.bootstrap(), topic).put("key", "key1"),
                ctx -> ctx.logFields().put("llm_summary",
                        new JsonObject().put("model", "gpt-4o").put("prompt_tokens", 3)));
        assertEquals(200, gw.get("/hello?ab=cd&flag", "X-Trace", "t1").statusCode());
        assertEquals(200, gw.get("/hello?ab=ef").statusCode());

        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 2);
        assertEquals(2, recs.size());
        for (ConsumerRecord<String, String> r : recs) {
            assertEquals("key1", r.key());
        }
        JsonObject e = value(recs.stream().filter(r -> r.value().contains("ab=cd")).findFirst().orElseThrow());
        JsonObject req = e.getJsonObject("request");
        assertEquals("http://127.0.0.1:" + gw.port() + "/hello?ab=cd&flag", req.getString("url"));
        assertEquals("/hello?ab=cd&flag", req.getString("uri"));
        assertEquals("GET", req.getString("method"));
        assertEquals("t1", req.getJsonObject("headers").getString("x-trace"));
        assertEquals("cd", req.getJsonObject("querystring").getString("ab"));
        assertEquals(Boolean.TRUE, req.getJsonObject("querystring").getValue("flag"));
        assertTrue(req.getLong("size") > 0);
        JsonObject resp = e.getJsonObject("response");
        assertEquals(200, resp.getInteger("status"));
        assertEquals("text/plain", resp.getJsonObject("headers").getString("content-type"));
        assertTrue(resp.getLong("size") >= "hello world".length());
        assertEquals("r1", e.getString("route_id"));
        assertEquals("", e.getString("service_id"));
        assertEquals("127.0.0.1", e.getString("client_ip"));
        assertNotNull(e.getJsonObject("server").getString("hostname"));
        assertNotNull(e.getJsonObject("server").getString("version"));
        long now = System.currentTimeMillis();
        assertTrue(e.getLong("start_time") <= now && e.getLong("start_time") > now - 120_000);
        assertTrue(e.getDouble("latency") >= 0);
        assertTrue(e.getDouble("apisix_latency") >= 0);
        assertEquals("gpt-4o", e.getJsonObject("llm_summary").getString("model"));
        assertFalse(e.containsKey("upstream_latency"), "no upstream on this route");
    }

    @Test
    void secretsAreMasked() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic));
        gw.get("/hello", "Authorization", "Bearer sk-secret-1", "X-API-Key", "secret-2", "api-key", "secret-3");
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        String raw = recs.get(0).value();
        assertFalse(raw.contains("secret-1") || raw.contains("secret-2") || raw.contains("secret-3"), raw);
        JsonObject headers = value(recs.get(0)).getJsonObject("request").getJsonObject("headers");
        assertEquals(LogEntry.MASK, headers.getString("authorization"));
        assertEquals(LogEntry.MASK, headers.getString("x-api-key"));
        assertEquals(LogEntry.MASK, headers.getString("api-key"));
    }

    @Test
    void batchMaxSizeFiveSendsArraysOfFive() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 5));
        for (int i = 0; i < 10; i++) {
            assertEquals(200, gw.get("/b?i=" + i).statusCode());
        }
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 2);
        assertEquals(2, recs.size());
        int total = 0;
        for (ConsumerRecord<String, String> r : recs) {
            JsonArray a = new JsonArray(r.value());
            assertEquals(5, a.size());
            total += a.size();
            assertEquals("GET", a.getJsonObject(0).getJsonObject("request").getString("method"));
        }
        assertEquals(10, total);
        assertOffHeapReleased();
    }

    /**
     * A batch larger than one Kafka message may be (the broker's and the producer's default limit is
     * 1 MiB: 30 entries with 60 KB bodies are ~1.8 MB) goes as several messages, each a JSON array of
     * whole entries, in order: nothing is lost to RecordTooLargeException.
     */
    @Test
    void aBatchOverTheMessageSizeLimitGoesAsSeveralArraysInOrder() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 30)
                .put("include_req_body", true).put("max_req_body_bytes", 100_000));
        String body = "{\"pad\":\"" + "x".repeat(60_000) + "\"}";
        for (int i = 0; i < 30; i++) {
            assertEquals(200, gw.send("POST", "/big?i=" + i, body).statusCode());
        }
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 2);
        assertTrue(recs.size() >= 2, "split into messages under the limit: " + recs.size());
        int next = 0;
        for (ConsumerRecord<String, String> r : recs) {
            assertTrue(r.value().length() <= KafkaLoggerPlugin.MAX_MESSAGE_BYTES, "message of " + r.value().length());
            JsonArray a = new JsonArray(r.value());
            for (int k = 0; k < a.size(); k++) {
                JsonObject req = a.getJsonObject(k).getJsonObject("request");
                assertEquals("/big?i=" + next++, req.getString("uri"));
                assertEquals(body, req.getString("body"));
            }
        }
        assertEquals(30, next, "every entry of the batch arrived");
        assertOffHeapReleased();
    }

    @Test
    void entriesWaitOffTheHeapWithinTheBudgetAndOnItPast() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 3));
        KafkaLoggerPlugin heapOnly = new KafkaLoggerPlugin(0);
        try (PluginPipeline onHeap = new PluginPipeline(heapOnly)) {
            String heapTopic = KafkaLogs.topic(kafka.bootstrap());
            KafkaLogs.route(onHeap, KafkaLogs.conf(kafka.bootstrap(), heapTopic).put("batch_max_size", 3));
            for (int i = 0; i < 2; i++) { // two of three: the batch waits
                assertEquals(200, gw.get("/off?i=" + i).statusCode());
                assertEquals(200, onHeap.get("/heap?i=" + i).statusCode());
                gw.nextFinished(); // the entry is made in the log phase, after the answer
                onHeap.nextFinished();
            }
            assertEquals(2, plugin.offHeapEntries(), "the waiting entries are off the heap");
            assertTrue(plugin.offHeapBytes() >= KafkaLoggerPlugin.SLAB_BYTES, "in a slab");
            assertEquals(0, heapOnly.offHeapEntries(), "nothing off the heap with a budget of 0");
            assertEquals(0, heapOnly.offHeapBytes(), "no slab with a budget of 0");
            assertEquals(200, gw.get("/off?i=2").statusCode());
            assertEquals(200, onHeap.get("/heap?i=2").statusCode());
            for (String[] t : new String[][] {{topic, "/off?i="}, {heapTopic, "/heap?i="}}) {
                List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), t[0], 1);
                assertEquals(1, recs.size());
                JsonArray a = new JsonArray(recs.get(0).value());
                assertEquals(3, a.size());
                for (int i = 0; i < 3; i++) {
                    assertEquals(t[1] + i, a.getJsonObject(i).getJsonObject("request").getString("uri"));
                }
            }
            assertOffHeapReleased();
        }
    }

    /**
     * The entries' off-heap memory goes back to the pool once their batch is sent or dropped: what
     * stays is the slab each event loop is filling (a whole number of slabs, one per loop at most).
     */
    private void assertOffHeapReleased() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((plugin.processors().pending() > 0 || plugin.offHeapEntries() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, plugin.offHeapEntries(), "entries held off the heap after every batch finished");
        long held = plugin.offHeapBytes();
        assertEquals(0, held % KafkaLoggerPlugin.SLAB_BYTES, "only the loops' current slabs: " + held);
        assertTrue(held <= 4L * KafkaLoggerPlugin.SLAB_BYTES, "only the loops' current slabs: " + held);
    }

    @Test
    void entriesSpanningSeveralSlabsArriveWholeAndInOrder() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 200));
        String pad = "p".repeat(900); // ~1.5 KiB entries: 200 of them fill several 64 KiB slabs
        for (int i = 0; i < 200; i++) {
            assertEquals(200, gw.get("/slabs?i=" + i + "&pad=" + pad).statusCode());
        }
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        JsonArray a = new JsonArray(recs.get(0).value());
        assertEquals(200, a.size());
        for (int i = 0; i < 200; i++) {
            JsonObject req = a.getJsonObject(i).getJsonObject("request");
            assertEquals("/slabs?i=" + i + "&pad=" + pad, req.getString("uri"));
            assertEquals(pad, req.getJsonObject("querystring").getString("pad"));
        }
        assertOffHeapReleased();
    }

    @Test
    void inactiveTimeoutFlushesAPartialBatch() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 100).put("inactive_timeout", 1));
        gw.get("/a");
        gw.get("/b");
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        JsonArray a = new JsonArray(recs.get(0).value());
        assertEquals(2, a.size());
    }

    @Test
    void customLogFormat() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("log_format", new JsonObject()
                .put("client_ip", "$remote_addr")
                .put("req", new JsonObject().put("method", "$request_method").put("uri", "$uri"))
                .put("auth", "$http_authorization")
                .put("missing", "$no_such_var")
                .put("fixed", "literal")));
        gw.get("/fmt?x=1", "Authorization", "Bearer sk-secret");
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        JsonObject e = value(recs.get(0));
        assertEquals(new JsonObject()
                .put("client_ip", "127.0.0.1")
                .put("req", new JsonObject().put("method", "GET").put("uri", "/fmt"))
                .put("auth", LogEntry.MASK)
                .put("fixed", "literal")
                .put("route_id", "r1"), e);
    }

    @Test
    void pluginMetadataLogFormatAppliesWhenTheRouteHasNone() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        gw.metadata(KafkaLoggerPlugin.NAME, new JsonObject().put("log_format", new JsonObject().put("m", "$request_method")));
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic));
        gw.get("/meta");
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(new JsonObject().put("m", "GET").put("route_id", "r1"), value(recs.get(0)));
    }

    @Test
    void metaFormatOriginSendsTheRawRequest() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("meta_format", "origin").put("include_req_body", true));
        assertEquals(200, gw.send("POST", "/hello?ab=cd", "abcdef", "Authorization", "Bearer sk-secret").statusCode());
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        String raw = recs.get(0).value();
        assertTrue(raw.startsWith("POST /hello?ab=cd HTTP/1.1\r\n"), raw);
        assertTrue(raw.contains("\r\ncontent-length: 6\r\n"), raw);
        assertTrue(raw.contains("\r\nauthorization: " + LogEntry.MASK + "\r\n"), raw);
        assertTrue(raw.endsWith("\r\n\r\nabcdef"), raw);
    }

    @Test
    void includeReqBodyFollowsTheExpression() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("include_req_body", true)
                .put("max_req_body_bytes", 8)
                .put("include_req_body_expr", new JsonArray().add(new JsonArray().add("arg_log_body").add("==").add("yes"))));
        assertEquals(200, gw.send("POST", "/p?log_body=yes", "{\"a\":\"0123456789\"}").statusCode());
        assertEquals(200, gw.send("POST", "/p?log_body=no", "{\"b\":1}").statusCode());
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 2);
        assertEquals(2, recs.size());
        for (ConsumerRecord<String, String> r : recs) {
            JsonObject req = value(r).getJsonObject("request");
            if (req.getString("uri").contains("yes")) {
                assertEquals("{\"a\":\"01", req.getString("body"), "cut to max_req_body_bytes");
            } else {
                assertNull(req.getString("body"));
            }
        }
    }

    @Test
    void includeRespBodyIsCappedByMaxRespBodyBytes() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("include_resp_body", true).put("max_resp_body_bytes", 5));
        assertEquals("hello world", gw.get("/r").body());
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals("hello", value(recs.get(0)).getJsonObject("response").getString("body"));
    }

    @Test
    void closeFlushesBufferedEntries() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, KafkaLogs.conf(kafka.bootstrap(), topic).put("batch_max_size", 100).put("inactive_timeout", 60));
        for (String path : new String[] {"/c1", "/c2", "/c3"}) {
            gw.get(path);
            gw.nextFinished(); // logged before the plugin closes: the entry is made after the answer
        }
        plugin.close().await(60, TimeUnit.SECONDS);
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        assertEquals(3, new JsonArray(recs.get(0).value()).size());
    }

    @Test
    void routesShareOneProducerReleasedWhenUnused() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        JsonObject conf = KafkaLogs.conf(kafka.bootstrap(), topic);
        // two routes with equal producer settings, both in use at once
        KafkaLogs.route(gw, "x", "/x", conf, ctx -> { });
        gw.get("/x");
        KafkaLogs.route(gw, "y", "/y", conf.copy(), ctx -> { });
        gw.get("/y");
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 2);
        assertEquals(2, recs.size());
        assertEquals(1, plugin.producerCount(), "equal producer settings share one producer");
        gw.removeRoute("x");
        gw.removeRoute("y");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (plugin.producerCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, plugin.producerCount());
        assertEquals(0, plugin.processors().processors());
    }

    @Test
    void aRequestFinishingAfterItsRouteWentIsLoggedAndItsProducerClosedOnceIdle() throws Exception {
        plugin.processors().staleAfter(java.time.Duration.ofMillis(300));
        String topic = KafkaLogs.topic(kafka.bootstrap());
        // the route is deleted while its request is in flight: the request's entry comes after the
        // plugin released the route's configuration
        KafkaLogs.route(gw, "gone", "/gone", KafkaLogs.conf(kafka.bootstrap(), topic), ctx -> gw.removeRoute("gone"));
        assertEquals(200, gw.get("/gone").statusCode());
        List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1);
        assertEquals(1, recs.size());
        assertTrue(recs.get(0).value().contains("\"uri\":\"/gone\""), recs.get(0).value());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((plugin.producerCount() > 0 || plugin.processors().processors() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, plugin.processors().processors(), "the late entry's processor was retired");
        assertEquals(0, plugin.producerCount(), "and its producer closed");
        assertOffHeapReleased();
    }

    @Test
    void unreachableBrokerDoesNotAffectRequests() throws Exception {
        String topic = KafkaLogs.topic(kafka.bootstrap());
        KafkaLogs.route(gw, new JsonObject()
                .put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", 1)))
                .put("kafka_topic", topic).put("timeout", 1).put("batch_max_size", 1));
        for (int i = 0; i < 5; i++) {
            assertEquals(200, gw.get("/down").statusCode());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (plugin.processors().pending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, plugin.processors().pending(), "failed batches were dropped after max_retry_count");
        assertOffHeapReleased();
    }
}
