package dev.aigw.t.kafka;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.KafkaBroker;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kafka-logger against a broker whose client listener requires SASL/PLAIN (its own broker). */
class KafkaLoggerSaslTest {

    private static final String USER = "aigw-logger";
    private static final String PASSWORD = "sasl-pw-4d5e6f-SECRET";

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    private static KafkaBroker kafka;

    @BeforeAll
    static void startBroker() {
        kafka = KafkaBroker.startWithSaslPlain(USER, PASSWORD);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static Properties clientSasl() {
        Properties p = new Properties();
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + USER + "\" password=\"" + PASSWORD + "\";");
        return p;
    }

    private static JsonObject logger(String topic, String password) {
        return Routes.kafkaLogger(kafka.port(), topic).put("brokers", new JsonArray().add(new JsonObject()
                .put("host", "127.0.0.1").put("port", kafka.port())
                .put("sasl_config", new JsonObject().put("mechanism", "PLAIN").put("user", USER).put("password", password))));
    }

    @Test
    void entriesArriveThroughSaslPlainAndAWrongPasswordHurtsNoRequest() {
        String topic = TopicReader.topic(kafka.bootstrap(), clientSasl(), "sasl");
        String wrongTopic = TopicReader.topic(kafka.bootstrap(), clientSasl(), "sasl-wrong");
        Routes.put(gw(), mock(), "sasl", Routes.chatRoute("/sasl", mock(), logger(topic, PASSWORD)));
        Routes.put(gw(), mock(), "sasl-wrong", Routes.chatRoute("/sasl-wrong", mock(), logger(wrongTopic, "not-the-password")));

        Routes.chat(gw(), "/sasl", "via sasl");
        for (int i = 0; i < 3; i++) {
            Routes.chat(gw(), "/sasl-wrong", "wrong password " + i);
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic, clientSasl())) {
            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, Duration.ofSeconds(20));
            assertEquals(1, recs.size(), "the entry reached the SASL broker");
            JsonObject e = TopicReader.object(recs.get(0));
            assertEquals("/sasl", e.getJsonObject("request").getString("uri"));
            assertEquals("key1", recs.get(0).key());
            EntryAsserts.noSecret(recs.get(0), PASSWORD, Routes.PROVIDER_KEY);
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), wrongTopic, clientSasl())) {
            assertEquals(0, reader.drain(Duration.ofSeconds(3)).size(), "a refused login sends nothing");
        }
        Routes.chat(gw(), "/sasl", "still fine");
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic, clientSasl())) {
            assertEquals(2, reader.await(2, Duration.ofSeconds(20)).size(), "the good route is unaffected");
        }
        assertTrue(gw().isAlive());
        assertFalse(gw().allLogs().contains(PASSWORD), "the SASL password never reaches the gateway's logs");
    }
}
