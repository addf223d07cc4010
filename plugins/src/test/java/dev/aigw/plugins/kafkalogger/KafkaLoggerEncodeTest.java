package dev.aigw.plugins.kafkalogger;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kafka record of a batch: APISIX's shapes, from entries encoded once in the log phase. */
class KafkaLoggerEncodeTest {

    private static KafkaLoggerPlugin.Encoded json(JsonObject o) {
        return new KafkaLoggerPlugin.Encoded(o.encode().getBytes(StandardCharsets.UTF_8));
    }

    /** The record's value as a consumer with a StringDeserializer reads it. */
    private static String encode(List<Object> batch, int batchMaxSize) {
        KafkaLoggerPlugin.Messages m = KafkaLoggerPlugin.encode(batch, batchMaxSize, KafkaLoggerPlugin.MAX_MESSAGE_BYTES);
        assertEquals(1, m.values().size(), "a small batch is one message");
        assertEquals(0, m.dropped());
        return new String(m.values().get(0), StandardCharsets.UTF_8);
    }

    private static List<String> messages(KafkaLoggerPlugin.Messages m) {
        return m.values().stream().map(v -> new String(v, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void batchSizeOneSendsTheEntryItself() {
        JsonObject e = new JsonObject().put("route_id", "1").put("latency", 1.5);
        assertEquals(e, new JsonObject(encode(List.of(json(e)), 1)));
        assertEquals("GET / HTTP/1.1\r\n\r\n", encode(List.of("GET / HTTP/1.1\r\n\r\n"), 1));
    }

    @Test
    void largerBatchesAreOneJsonArrayWithOriginEntriesAsStrings() {
        JsonObject a = new JsonObject().put("route_id", "a").put("request", new JsonObject().put("uri", "/x?\"q\"é"));
        JsonObject b = new JsonObject().put("route_id", "b");
        String origin = "POST /v1 HTTP/1.1\r\nhost: h\r\n\r\n{\"m\":\"é\"}";
        JsonArray out = new JsonArray(encode(List.of(json(a), origin, json(b)), 1000));
        assertEquals(new JsonArray().add(a).add(origin).add(b), out);
        // a batch of one under batch_max_size > 1 is still an array, as APISIX sends it
        assertEquals(new JsonArray().add(b), new JsonArray(encode(List.of(json(b)), 1000)));
    }

    @Test
    void aBatchOverTheLimitIsSplitIntoArraysOfWholeEntriesInOrder() {
        // each entry {"i":N} is 7 bytes: "[e,e,e]" is 23 bytes, a fourth would make it 31
        List<Object> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            batch.add(json(new JsonObject().put("i", i)));
        }
        KafkaLoggerPlugin.Messages m = KafkaLoggerPlugin.encode(batch, 1000, 25);
        assertEquals(List.of("[{\"i\":0},{\"i\":1},{\"i\":2}]", "[{\"i\":3},{\"i\":4},{\"i\":5}]", "[{\"i\":6}]"),
                messages(m));
        assertEquals(0, m.dropped());
    }

    @Test
    void anEntryOverTheLimitAloneIsDroppedAndCountedTheOthersGo() {
        JsonObject big = new JsonObject().put("pad", "x".repeat(40));
        List<Object> batch = List.of(json(new JsonObject().put("i", 0)), json(big), "GET / HTTP/1.1",
                json(new JsonObject().put("i", 1)));
        KafkaLoggerPlugin.Messages m = KafkaLoggerPlugin.encode(batch, 1000, 30);
        // the origin entry goes as a JSON string (16 bytes with its quotes): 2 + 16 + 1 + 7 = 26 fit
        assertEquals(List.of("[{\"i\":0}]", "[\"GET / HTTP/1.1\",{\"i\":1}]"), messages(m));
        assertEquals(1, m.dropped());
        assertEquals(big.encode().length(), m.largestDropped());
        // batch_max_size 1: the entry alone, dropped when over the limit
        KafkaLoggerPlugin.Messages one = KafkaLoggerPlugin.encode(List.of(json(big)), 1, 30);
        assertEquals(List.of(), one.values());
        assertEquals(1, one.dropped());
    }
}
