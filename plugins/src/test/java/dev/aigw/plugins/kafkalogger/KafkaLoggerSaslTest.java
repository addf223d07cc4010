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

/** SASL/PLAIN from brokers[].sasl_config. */
class KafkaLoggerSaslTest {

    @Test
    void sendsWithSaslPlainCredentials() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (KafkaBroker kafka = KafkaBroker.startWithSaslPlain("alice", "alice-secret");
             Harness h = new Harness(vertx)) {
            String topic = Harness.topic();
            JsonObject conf = Harness.conf(kafka.bootstrap(), topic);
            conf.getJsonArray("brokers").getJsonObject(0)
                    .put("sasl_config", new JsonObject().put("mechanism", "PLAIN")
                            .put("user", "alice").put("password", "alice-secret"));
            h.bind(conf);
            assertEquals(200, h.get("/sasl").statusCode());

            Map<String, Object> sasl = Map.of(
                    "security.protocol", "SASL_PLAINTEXT",
                    "sasl.mechanism", "PLAIN",
                    "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                            + " username=\"alice\" password=\"alice-secret\";");
            List<ConsumerRecord<String, String>> recs = Harness.consume(kafka.bootstrap(), topic, 1,
                    Duration.ofSeconds(30), sasl);
            assertEquals(1, recs.size());
            assertEquals("/sasl", new JsonObject(recs.get(0).value()).getJsonObject("request").getString("uri"));
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
