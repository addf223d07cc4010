package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.log.BatchProcessorConfig;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration validation through the registry, as the Admin API and the route builder do it. */
class KafkaLoggerSchemaTest {

    private final KafkaLoggerPlugin plugin = new KafkaLoggerPlugin();
    private final PluginRegistry registry = PluginRegistry.of(List.of(plugin), null);

    private static JsonObject valid() {
        return new JsonObject()
                .put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", 9092)))
                .put("kafka_topic", "test2")
                .put("key", "key1")
                .put("batch_max_size", 1);
    }

    private String error(JsonObject conf) {
        PluginConfigException e = assertThrows(PluginConfigException.class, () -> registry.bind("kafka-logger", conf));
        assertTrue(e.getMessage().startsWith("failed to check the configuration of plugin kafka-logger err: "),
                e.getMessage());
        return e.getMessage();
    }

    @Test
    void acceptsTheDocumentedConfigurationWithApisixDefaults() throws Exception {
        PluginBinding<?> b = registry.bind("kafka-logger", valid());
        KafkaLoggerConfig c = (KafkaLoggerConfig) b.config();
        assertEquals("test2", c.topic());
        assertEquals("key1", c.key());
        assertEquals("127.0.0.1:9092", c.producer().bootstrap());
        assertEquals(1, c.producer().requiredAcks());
        assertEquals(3, c.producer().timeoutSeconds());
        assertFalse(c.producer().sync());
        assertFalse(c.origin());
        assertEquals(new BatchProcessorConfig("kafka logger", 1, 5_000, 60_000, 0, 1_000), c.batch());
        assertEquals(524288, c.maxReqBodyBytes());
        assertNull(c.producer().saslMechanism());
    }

    @Test
    void parsesEveryOption() throws Exception {
        JsonObject conf = valid()
                .put("brokers", new JsonArray().add(new JsonObject().put("host", "k1").put("port", 9093)
                        .put("sasl_config", new JsonObject().put("user", "u").put("password", "p"))))
                .put("producer_type", "sync").put("required_acks", -1).put("timeout", 7)
                .put("meta_format", "origin").put("cluster_name", 2).put("producer_batch_num", 10)
                .put("producer_batch_size", 0).put("producer_max_buffering", 5).put("producer_time_linger", 2)
                .put("meta_refresh_interval", 9).put("name", "mine").put("batch_max_size", 7)
                .put("inactive_timeout", 2).put("buffer_duration", 3).put("max_retry_count", 4).put("retry_delay", 0)
                .put("include_resp_body", true).put("max_resp_body_bytes", 10);
        KafkaLoggerConfig c = (KafkaLoggerConfig) registry.bind("kafka-logger", conf).config();
        assertEquals("PLAIN", c.producer().saslMechanism());
        assertEquals("u", c.producer().saslUser());
        assertTrue(c.producer().sync());
        assertEquals(-1, c.producer().requiredAcks());
        assertEquals("all", c.producer().toProperties().get("acks"));
        assertEquals(7000, c.producer().toProperties().get("request.timeout.ms"));
        assertEquals("SASL_PLAINTEXT", c.producer().toProperties().get("security.protocol"));
        assertTrue(c.origin());
        assertEquals(new BatchProcessorConfig("mine", 7, 2_000, 3_000, 4, 0), c.batch());
        assertFalse(c.toString().contains("\"p\"") || c.producer().toString().contains("password"),
                "no password in toString");
    }

    @Test
    void acceptsTheDeprecatedBrokerList() throws Exception {
        JsonObject conf = new JsonObject().put("broker_list", new JsonObject().put("127.0.0.1", 9092))
                .put("kafka_topic", "t");
        KafkaLoggerConfig c = (KafkaLoggerConfig) registry.bind("kafka-logger", conf).config();
        assertEquals("127.0.0.1:9092", c.producer().bootstrap());
    }

    @Test
    void refusesBadValues() {
        assertTrue(error(valid().put("required_acks", 10)).contains("required_acks"));
        assertTrue(error(valid().put("timeout", "10")).contains("timeout"));
        assertTrue(error(valid().put("timeout", 0)).contains("timeout"));
        assertTrue(error(valid().put("producer_type", "fast")).contains("producer_type"));
        assertTrue(error(valid().put("meta_format", "xml")).contains("meta_format"));
        assertTrue(error(valid().put("batch_max_size", 0)).contains("batch_max_size"));
        assertTrue(error(valid().put("inactive_timeout", 0)).contains("inactive_timeout"));
        assertTrue(error(valid().put("max_retry_count", -1)).contains("max_retry_count"));
        assertTrue(error(valid().put("brokers", new JsonArray().add(new JsonObject()
                .put("host", "127.0.0.1").put("port", 0)))).contains("port"));
        assertTrue(error(valid().put("brokers", new JsonArray().add(new JsonObject()
                .put("host", "h").put("port", 1).put("sasl_config", new JsonObject().put("user", "u")))))
                .contains("password"));
        assertNotNull(error(valid().put("brokers", new JsonArray())));
    }

    @Test
    void refusesAMissingTopicOrBrokers() {
        JsonObject noTopic = valid();
        noTopic.remove("kafka_topic");
        assertNotNull(error(noTopic));
        JsonObject noBrokers = valid();
        noBrokers.remove("brokers");
        assertNotNull(error(noBrokers));
    }

    @Test
    void refusesAnInvalidBodyExpression() {
        String msg = error(valid().put("include_req_body", true).put("include_req_body_expr",
                new JsonArray().add(new JsonArray().add("arg_x").add("<>").add("1"))));
        assertTrue(msg.contains("failed to validate the 'include_req_body_expr' expression"), msg);
        String msg2 = error(valid().put("include_resp_body_expr",
                new JsonArray().add(new JsonArray().add("status").add("~~").add("(["))));
        assertTrue(msg2.contains("include_resp_body_expr"), msg2);
        assertNotNull(error(valid().put("include_req_body_expr", new JsonArray())));
    }

    @Test
    void metadataSchemaAcceptsLogFormatAndMaxPendingEntries() {
        assertNull(registry.validateMetadata("kafka-logger", new JsonObject()
                .put("log_format", new JsonObject().put("host", "$host")).put("max_pending_entries", 10)));
        assertNotNull(registry.validateMetadata("kafka-logger", new JsonObject().put("max_pending_entries", 0)));
        assertNotNull(registry.validateMetadata("kafka-logger", new JsonObject().put("log_format", "x")));
    }
}
