package dev.aigw.plugins.kafkalogger;

import dev.aigw.plugins.PluginPipeline;
import dev.aigw.testkit.KafkaBroker;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SASL/PLAIN from brokers[].sasl_config. */
class KafkaLoggerSaslTest {

    @Test
    void sendsWithSaslPlainCredentials() throws Exception {
        try (KafkaBroker kafka = KafkaBroker.startWithSaslPlain("alice", "alice-secret");
             PluginPipeline gw = new PluginPipeline(new KafkaLoggerPlugin())) {
            String topic = KafkaLogs.topic();
            JsonObject conf = KafkaLogs.conf(kafka.bootstrap(), topic);
            conf.getJsonArray("brokers").getJsonObject(0)
                    .put("sasl_config", new JsonObject().put("mechanism", "PLAIN")
                            .put("user", "alice").put("password", "alice-secret"));
            KafkaLogs.route(gw, conf);
            assertEquals(200, gw.get("/sasl").statusCode());

            Map<String, Object> sasl = Map.of(
                    "security.protocol", "SASL_PLAINTEXT",
                    "sasl.mechanism", "PLAIN",
                    "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                            + " username=\"alice\" password=\"alice-secret\";");
            List<ConsumerRecord<String, String>> recs = KafkaLogs.consume(kafka.bootstrap(), topic, 1,
                    Duration.ofSeconds(30), sasl);
            assertEquals(1, recs.size());
            assertEquals("/sasl", new JsonObject(recs.get(0).value()).getJsonObject("request").getString("uri"));
        }
    }
}
