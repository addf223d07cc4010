package dev.aigw.plugins.kafkalogger;

import dev.aigw.testkit.KafkaBroker;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The broker goes away while requests flow, then comes back on the same port. */
class KafkaLoggerOutageTest {

    @Test
    void requestsAreUnaffectedAndEntriesFlowAgainAfterTheBrokerIsBack() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (KafkaBroker kafka = KafkaBroker.start(); Harness h = new Harness(vertx)) {
            String topic = Harness.topic();
            h.bind(Harness.conf(kafka.bootstrap(), topic)
                    .put("timeout", 1).put("max_retry_count", 5).put("retry_delay", 1));
            assertEquals(200, h.get("/before").statusCode());
            assertEquals(1, Harness.consume(kafka.bootstrap(), topic, 1).size());

            kafka.stop();
            for (int i = 0; i < 5; i++) {
                assertEquals(200, h.get("/during?i=" + i).statusCode(), "requests do not wait for Kafka");
            }

            kafka.restart();
            for (int i = 0; i < 3; i++) {
                assertEquals(200, h.get("/after?i=" + i).statusCode());
            }
            // everything sent so far: 1 before, up to 5 during (retried, may have been dropped), 3 after
            List<ConsumerRecord<String, String>> recs = Harness.consume(kafka.bootstrap(), topic, 9,
                    Duration.ofSeconds(45), Map.of());
            long after = recs.stream()
                    .map(r -> new JsonObject(r.value()).getJsonObject("request").getString("uri"))
                    .filter(u -> u.startsWith("/after")).count();
            assertEquals(3, after, "entries accepted after the broker came back arrive");
            assertTrue(recs.size() >= 4);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
