package dev.aigw.plugins.kafkalogger;

import io.netty.buffer.Unpooled;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kafka record of a batch: APISIX's shapes, from entries encoded once in the log phase. */
class KafkaLoggerEncodeTest {

    private static KafkaLoggerPlugin.Encoded json(JsonObject o) {
        return new KafkaLoggerPlugin.Encoded(Unpooled.wrappedBuffer(o.encode().getBytes(StandardCharsets.UTF_8)));
    }

    /** The record's value as a consumer with a StringDeserializer reads it. */
    private static String encode(List<Object> batch, int batchMaxSize) {
        return new String(KafkaLoggerPlugin.encode(batch, batchMaxSize), StandardCharsets.UTF_8);
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
}
