package dev.aigw.t.kafka;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an entry looks like when the user shapes it: a route's {@code log_format}, the plugin
 * metadata's {@code log_format} (set with {@code PUT /apisix/admin/plugin_metadata/kafka-logger}),
 * and {@code meta_format: origin} (the raw request text).
 */
class KafkaLoggerFormatTest extends KafkaGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CLIENT_SECRET = "Bearer sk-client-fmt-0a1b2c-SECRET";

    @AfterEach
    void dropMetadata() {
        HttpResult r = gw().admin("DELETE", "/plugin_metadata/kafka-logger", null);
        assertTrue(r.status() == 200 || r.status() == 404, r.toString());
        Routes.awaitApplied(gw(), mock());
    }

    private static JsonObject oneEntry(String topic) {
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, WAIT);
            assertEquals(1, recs.size(), "one entry in " + topic);
            EntryAsserts.noSecret(recs.get(0), Routes.PROVIDER_KEY, CLIENT_SECRET);
            return TopicReader.object(recs.get(0));
        }
    }

    @Test
    void routeLogFormatShapesTheEntryAndKeepsTheLlmFields() {
        String topic = TopicReader.topic(kafka.bootstrap(), "fmt");
        JsonObject format = new JsonObject()
                .put("host", "$host")
                .put("client_ip", "$remote_addr")
                .put("method", "$request_method")
                .put("path", "$uri")
                .put("model", "$llm_model")
                .put("auth", "$http_authorization")
                .put("team", "ai-platform")
                .put("ai", new JsonObject().put("type", "$request_type").put("prompt_tokens", "$llm_prompt_tokens"));
        Routes.put(gw(), mock(), "fmt", Routes.chatRoute("/fmt", mock(),
                Routes.kafkaLogger(kafka.port(), topic).put("log_format", format)));
        mock().usage(17, 4);
        Routes.chat(gw(), "/fmt?x=1", "format me", "Authorization", CLIENT_SECRET);

        JsonObject e = oneEntry(topic);
        assertEquals("127.0.0.1", e.getString("host"));
        assertEquals("127.0.0.1", e.getString("client_ip"));
        assertEquals("POST", e.getString("method"));
        assertEquals("/fmt", e.getString("path"));
        assertEquals("gpt-4o-mini", e.getString("model"));
        assertEquals("******", e.getString("auth"), "a secret header variable renders masked");
        assertEquals("ai-platform", e.getString("team"), "a literal stays as written");
        assertEquals("ai_chat", e.getJsonObject("ai").getString("type"));
        assertEquals("17", String.valueOf(e.getJsonObject("ai").getValue("prompt_tokens")));
        assertEquals("fmt", e.getString("route_id"), "route_id is added to custom entries, as APISIX");
        assertFalse(e.containsKey("request"), "no default fields with a log_format: " + e.encode());
        assertFalse(e.containsKey("response"), e.encode());
        assertNotNull(e.getJsonObject("llm_summary"), "the LLM summary is added to custom entries too");
        assertEquals(17, e.getJsonObject("llm_summary").getInteger("prompt_tokens"));
        assertEquals("Hello from the mock LLM.", e.getJsonObject("llm_response_text").getString("content"));
    }

    @Test
    void pluginMetadataLogFormatAppliesToRoutesWithoutTheirOwn() {
        String topicMeta = TopicReader.topic(kafka.bootstrap(), "meta");
        String topicOwn = TopicReader.topic(kafka.bootstrap(), "meta-own");
        HttpResult m = gw().admin("PUT", "/plugin_metadata/kafka-logger", new JsonObject()
                .put("log_format", new JsonObject().put("meta_host", "$host").put("meta_uri", "$uri")
                        .put("meta_method", "$request_method"))
                .encode());
        assertTrue(m.status() == 200 || m.status() == 201, m.toString());
        Routes.put(gw(), mock(), "meta", Routes.chatRoute("/meta", mock(), Routes.kafkaLogger(kafka.port(), topicMeta)));
        Routes.put(gw(), mock(), "meta-own", Routes.chatRoute("/meta-own", mock(),
                Routes.kafkaLogger(kafka.port(), topicOwn).put("log_format", new JsonObject().put("own_uri", "$uri"))));
        Routes.chat(gw(), "/meta", "metadata format");
        Routes.chat(gw(), "/meta-own", "route format");

        JsonObject e = oneEntry(topicMeta);
        assertEquals("/meta", e.getString("meta_uri"), "the metadata's log_format: " + e.encode());
        assertEquals("127.0.0.1", e.getString("meta_host"));
        assertEquals("POST", e.getString("meta_method"));
        assertEquals("meta", e.getString("route_id"));
        assertFalse(e.containsKey("request"), "no default fields: " + e.encode());

        JsonObject own = oneEntry(topicOwn);
        assertEquals("/meta-own", own.getString("own_uri"), "the route's own log_format wins: " + own.encode());
        assertFalse(own.containsKey("meta_uri"), own.encode());

        // without metadata the default entry comes back
        assertEquals(200, gw().admin("DELETE", "/plugin_metadata/kafka-logger", null).status());
        String topicAfter = TopicReader.topic(kafka.bootstrap(), "meta-after");
        Routes.put(gw(), mock(), "meta", Routes.chatRoute("/meta", mock(), Routes.kafkaLogger(kafka.port(), topicAfter)));
        Routes.chat(gw(), "/meta", "default again");
        JsonObject after = oneEntry(topicAfter);
        assertEquals("/meta", after.getJsonObject("request").getString("uri"), "default entry: " + after.encode());
        assertFalse(after.containsKey("meta_uri"), after.encode());
    }

    @Test
    void metaFormatOriginSendsTheRawRequest() {
        String topic = TopicReader.topic(kafka.bootstrap(), "origin");
        Routes.put(gw(), mock(), "origin", Routes.chatRoute("/origin", mock(), Routes.kafkaLogger(kafka.port(), topic)
                .put("meta_format", "origin").put("include_req_body", true)));
        String body = Routes.chatBody("raw please");
        HttpResult r = gw().http("POST", "/origin?a=b", body, "Authorization", CLIENT_SECRET, "X-Trace", "t-9");
        assertEquals(200, r.status(), r.body());

        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, WAIT);
            assertEquals(1, recs.size());
            EntryAsserts.noSecret(recs.get(0), Routes.PROVIDER_KEY, CLIENT_SECRET);
            assertEquals("key1", recs.get(0).key());
            String text = TopicReader.text(recs.get(0));
            assertTrue(text.startsWith("POST /origin?a=b HTTP/1.1\r\n"), "request line first: " + text);
            String lower = text.toLowerCase();
            assertTrue(lower.contains("\r\nx-trace: t-9\r\n"), "headers as sent: " + text);
            assertTrue(lower.contains("\r\nauthorization: ******\r\n"), "secret header masked: " + text);
            assertTrue(text.endsWith("\r\n\r\n" + body), "blank line, then the body (include_req_body): " + text);
        }
    }
}
