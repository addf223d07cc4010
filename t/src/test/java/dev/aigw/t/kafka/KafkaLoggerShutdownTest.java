package dev.aigw.t.kafka;

import io.vertx.core.json.JsonArray;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** SIGTERM with entries still waiting in a batch: the gateway flushes them to Kafka before it exits. */
class KafkaLoggerShutdownTest extends KafkaGatewayTest {

    @Test
    void sigtermFlushesBatchedEntries() {
        String topic = TopicReader.topic(kafka.bootstrap(), "sigterm");
        Routes.put(gw(), mock(), "sigterm", Routes.chatRoute("/sigterm", mock(), Routes.kafkaLogger(kafka.port(), topic)
                .put("batch_max_size", 100).put("inactive_timeout", 30).put("buffer_duration", 60)));
        for (int i = 0; i < 4; i++) {
            Routes.chat(gw(), "/sigterm?n=" + i, "batched " + i);
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            assertEquals(0, reader.drain(Duration.ofSeconds(1)).size(), "the entries are still batched (30 s timeout)");

            int exit = gw().stop(); // SIGTERM, then SIGKILL only after 10 s
            assertNotEquals(137, exit, "the gateway exited by itself after SIGTERM, not by SIGKILL");

            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, Duration.ofSeconds(10));
            assertEquals(1, recs.size(), "the batch was flushed at shutdown");
            JsonArray batch = TopicReader.array(recs.get(0));
            assertEquals(List.of("0", "1", "2", "3"), TopicReader.entries(recs).stream()
                    .map(e -> e.getJsonObject("request").getJsonObject("querystring").getString("n"))
                    .sorted().collect(Collectors.toList()), "all four accepted entries: " + batch.encode());
        }
    }
}
