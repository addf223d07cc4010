package dev.aigw.t.kafka;

import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.Ports;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka down must not touch traffic: with the broker stopped for 30 s while requests flow, every
 * request still succeeds, and once the broker is back new entries arrive without restarting the
 * gateway. A logger pointed at a port where no broker ever ran does not hurt requests either.
 */
class KafkaLoggerOutageTest extends KafkaGatewayTest {

    private static final Duration OUTAGE = Duration.ofSeconds(30);

    /** The broker is shared: whatever happened here, later classes need it serving. */
    @AfterAll
    static void brokerBack() {
        if (!kafka.isRunning()) {
            kafka.restart();
        }
    }

    @Test
    void brokerDownForThirtySecondsFailsNoRequestAndEntriesFlowAgainAfter() {
        String topic = TopicReader.topic(kafka.bootstrap(), "outage");
        String retryTopic = TopicReader.topic(kafka.bootstrap(), "outage-retry");
        Routes.put(gw(), mock(), "outage", Routes.chatRoute("/outage", mock(), Routes.kafkaLogger(kafka.port(), topic)));
        // a second route that retries a failed batch often enough to outlive the outage
        Routes.put(gw(), mock(), "outage-retry", Routes.chatRoute("/outage-retry", mock(),
                Routes.kafkaLogger(kafka.port(), retryTopic).put("batch_max_size", 5).put("inactive_timeout", 1)
                        .put("max_retry_count", 20).put("retry_delay", 1)));
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            Routes.chat(gw(), "/outage?phase=before", "before the outage");
            assertEquals(1, reader.await(1, Duration.ofSeconds(20)).size(), "entries flow before the outage");
        }

        kafka.stop();
        Routes.chat(gw(), "/outage-retry?n=0", "retried 0");
        Routes.chat(gw(), "/outage-retry?n=1", "retried 1");
        List<String> failures = new ArrayList<>();
        int sent = 0;
        long end = System.nanoTime() + OUTAGE.toNanos();
        while (System.nanoTime() - end < 0) {
            try {
                HttpResult r = gw().http("POST", "/outage?phase=down&n=" + sent, Routes.chatBody("during " + sent));
                if (r.status() != 200) {
                    failures.add(sent + ": " + r.status() + " " + r.body());
                }
            } catch (RuntimeException e) {
                failures.add(sent + ": " + e);
            }
            sent++;
            sleep(250);
        }
        assertTrue(sent >= 20, "requests kept flowing during the outage: " + sent);
        assertEquals(List.of(), failures, "no request failed while Kafka was down (" + sent + " sent)");
        assertTrue(gw().isAlive());

        kafka.restart();
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            // the producer reconnects on its own; send a few until they show up (bounded)
            Set<String> after = Set.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            int i = 0;
            while (after.isEmpty() && System.nanoTime() - deadline < 0) {
                Routes.chat(gw(), "/outage?phase=after&n=" + i++, "after the outage");
                after = TopicReader.entries(reader.await(Integer.MAX_VALUE, Duration.ofSeconds(2))).stream()
                        .map(e -> e.getJsonObject("request").getJsonObject("querystring"))
                        .filter(q -> "after".equals(q.getString("phase")))
                        .map(q -> q.getString("n")).collect(Collectors.toSet());
            }
            assertTrue(!after.isEmpty(), "entries of requests after the outage arrive, no restart of the gateway");
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), retryTopic)) {
            List<JsonObject> retried = TopicReader.entries(reader.await(1, Duration.ofSeconds(60)));
            assertEquals(Set.of("0", "1"), retried.stream()
                    .map(e -> e.getJsonObject("request").getJsonObject("querystring").getString("n"))
                    .collect(Collectors.toSet()),
                    "the batch that failed during the outage was retried (max_retry_count 20) until Kafka was back");
        }
    }

    @Test
    void noBrokerAtAllLeavesRequestsUnaffected() {
        int deadPort = Ports.free();
        JsonObject logger = Routes.kafkaLogger(deadPort, "t-nowhere")
                .put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", deadPort)))
                .put("max_retry_count", 2).put("retry_delay", 1);
        Routes.put(gw(), mock(), "nowhere", Routes.chatRoute("/nowhere", mock(), logger));
        for (int i = 0; i < 5; i++) {
            HttpResult r = Routes.chat(gw(), "/nowhere", "anyone there " + i);
            assertEquals("Hello from the mock LLM.",
                    r.jsonObject().getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
        }
        assertEquals(5, mock().count(MockLlm.Kind.CHAT));
        assertTrue(gw().isAlive());
    }
}
