package dev.aigw.t.kafka;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed route (ai-proxy with logging summaries and payloads, kafka-logger with a batch of
 * one and key {@code key1}) and the entry shapes: default fields, LLM summary and payloads (plain and
 * streamed), batches as arrays, the inactive-timeout flush, {@code include_req_body} with an
 * expression, masking of secrets, and configs the Admin API must refuse.
 */
class KafkaLoggerEntryTest extends KafkaGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static OpenAIClient client(String base, String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(gw().url(base)).apiKey(apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static ChatCompletionCreateParams.Builder params() {
        return ChatCompletionCreateParams.builder()
                .model("gpt-4o")
                .addSystemMessage("You are a mathematician")
                .addUserMessage("What is 1+1?");
    }

    /** APISIX's log util: an identified caller is in the entry as {@code consumer.username}; the gateway key is not. */
    @Test
    void entriesNameTheConsumerAndNeverTheGatewayKey() {
        String topic = TopicReader.topic(kafka.bootstrap(), "consumer");
        HttpResult c = gw().admin("PUT", "/consumers", new JsonObject().put("username", "team_k")
                .put("plugins", new JsonObject().put("key-auth", new JsonObject().put("key", "gw-kafka-key-31"))).encode());
        assertTrue(c.status() == 200 || c.status() == 201, c.toString());
        JsonObject route = Routes.chatRoute("/cons/v1/chat/completions", mock(), Routes.kafkaLogger(kafka.port(), topic));
        route.getJsonObject("plugins").put("key-auth", new JsonObject());
        Routes.put(gw(), mock(), "cons", route);
        // the SDK (Authorization: Bearer) and a raw apikey header
        client("/cons/v1", "gw-kafka-key-31").chat().completions().create(params().build());
        HttpResult raw = gw().http("POST", "/cons/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "apikey", "gw-kafka-key-31");
        assertEquals(200, raw.status(), raw.toString());
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            reader.await(2, WAIT);
            List<ConsumerRecord<String, byte[]>> recs = reader.drain(Duration.ofSeconds(2));
            assertEquals(2, recs.size());
            for (ConsumerRecord<String, byte[]> r : recs) {
                EntryAsserts.noSecret(r, "gw-kafka-key-31", Routes.PROVIDER_KEY);
                assertEquals("team_k", TopicReader.object(r).getJsonObject("consumer").getString("username"));
            }
        }
    }

    @Test
    void seedRouteGivesOneEntryPerRequestWithDefaultFieldsAndTheLlmSummary() {
        String topic = TopicReader.topic(kafka.bootstrap(), "seed");
        Routes.put(gw(), mock(), "seed", Routes.chatRoute("/seed/v1/chat/completions", mock(),
                Routes.kafkaLogger(kafka.port(), topic)));
        mock().content("Two.").usage(31, 5);
        OpenAIClient client = client("/seed/v1", "sk-client-key-never-logged");
        long before = System.currentTimeMillis();
        ChatCompletion first = client.chat().completions().create(params().putAdditionalQueryParam("trace", "t1").build());
        ChatCompletion second = client.chat().completions().create(params().putAdditionalQueryParam("trace", "t2").build());
        long after = System.currentTimeMillis();
        assertEquals("Two.", first.choices().get(0).message().content().orElseThrow());
        assertEquals("Two.", second.choices().get(0).message().content().orElseThrow());
        assertEquals("Bearer " + Routes.PROVIDER_KEY, mock().lastRequest().header("Authorization"),
                "ai-proxy sent the provider key upstream (so its absence from entries means something)");

        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            reader.await(2, WAIT);
            List<ConsumerRecord<String, byte[]>> recs = reader.drain(Duration.ofSeconds(2));
            assertEquals(2, recs.size(), "one Kafka message per request");
            for (ConsumerRecord<String, byte[]> r : recs) {
                assertEquals("key1", r.key(), "the configured key is the message key");
                assertTrue(TopicReader.text(r).trim().startsWith("{"), "a batch of one is a bare JSON object");
                EntryAsserts.noSecret(r, Routes.PROVIDER_KEY, "sk-client-key-never-logged");
            }
            JsonObject e = recs.stream().map(TopicReader::object)
                    .filter(o -> "t1".equals(o.getJsonObject("request").getJsonObject("querystring").getString("trace")))
                    .findFirst().orElseThrow(() -> new AssertionError("no entry of the first request: " + recs));

            JsonObject req = e.getJsonObject("request");
            assertEquals("http://127.0.0.1:" + gw().config().nodePort() + "/seed/v1/chat/completions?trace=t1",
                    req.getString("url"));
            assertEquals("/seed/v1/chat/completions?trace=t1", req.getString("uri"));
            assertEquals("POST", req.getString("method"));
            assertEquals("******", req.getJsonObject("headers").getString("authorization"));
            assertTrue(req.getJsonObject("headers").getString("content-type").startsWith("application/json"));
            assertEquals("127.0.0.1:" + gw().config().nodePort(), req.getJsonObject("headers").getString("host"));
            assertEquals(new JsonObject().put("trace", "t1"), req.getJsonObject("querystring"));
            assertTrue(req.getLong("size") > 100, "request size counts head and body: " + req);
            assertFalse(req.containsKey("body"), "no body unless include_req_body");

            JsonObject resp = e.getJsonObject("response");
            assertEquals(200, resp.getInteger("status"));
            assertTrue(resp.getJsonObject("headers").getString("content-type").startsWith("application/json"), resp.encode());
            assertTrue(resp.getLong("size") > 50, "response size: " + resp);

            assertEquals(mock().hostPort(), e.getString("upstream"));
            assertEquals("seed", e.getString("route_id"));
            assertEquals("127.0.0.1", e.getString("client_ip"));
            long start = e.getLong("start_time");
            assertTrue(start >= before - 1000 && start <= after + 1000, "start_time is epoch ms of the request: " + start);
            double latency = e.getDouble("latency");
            double upstreamLatency = e.getDouble("upstream_latency");
            double apisixLatency = e.getDouble("apisix_latency");
            assertTrue(latency > 0 && upstreamLatency >= 0 && apisixLatency >= 0, e.encode());
            assertTrue(upstreamLatency <= latency + 1, "upstream time is part of the total: " + e.encode());
            assertEquals(latency, upstreamLatency + apisixLatency, 1.0, "latency = upstream + gateway: " + e.encode());
            JsonObject server = e.getJsonObject("server");
            assertFalse(server.getString("hostname", "").isBlank(), e.encode());
            assertFalse(server.getString("version", "").isBlank(), e.encode());

            JsonObject summary = e.getJsonObject("llm_summary");
            assertNotNull(summary, "llm_summary with logging.summaries: " + e.encode());
            assertEquals("gpt-4o", summary.getString("request_model"), "the model the client asked for");
            assertEquals("gpt-4o-mini", summary.getString("model"), "the model ai-proxy used (options.model)");
            assertEquals(31, summary.getInteger("prompt_tokens"));
            assertEquals(5, summary.getInteger("completion_tokens"));
            assertEquals(36, summary.getInteger("total_tokens"));
            assertNotNull(summary.getValue("duration"), "time to first token: " + summary);
            assertTrue(summary.getDouble("duration") >= 0, summary.encode());
            // APISIX 3.18's additions, at their values for a plain answer without tools
            assertEquals(0, summary.getInteger("tool_count"), summary.encode());
            assertEquals("false", summary.getString("has_tool_calls"));
            assertEquals("", summary.getString("end_user_id"));
            assertEquals(0, summary.getInteger("cache_read_input_tokens"));
            assertEquals(0, summary.getInteger("reasoning_tokens"));
            assertEquals("", summary.getString("content_risk_level"));

            JsonArray messages = e.getJsonObject("llm_request").getJsonArray("messages");
            String messagesText = messages.encode();
            assertTrue(messagesText.contains("You are a mathematician") && messagesText.contains("What is 1+1?"),
                    "llm_request.messages with logging.payloads: " + messagesText);
            assertEquals(false, e.getJsonObject("llm_request").getBoolean("stream"));
            assertEquals("Two.", e.getJsonObject("llm_response_text").getString("content"));
        }
    }

    @Test
    void streamedAnswerIsLoggedWithTheWholeResponseText() {
        String topic = TopicReader.topic(kafka.bootstrap(), "stream");
        Routes.put(gw(), mock(), "stream", Routes.chatRoute("/stream/v1/chat/completions", mock(),
                Routes.kafkaLogger(kafka.port(), topic)));
        String answer = "One plus one is two, as every mathematician knows.";
        mock().content(answer).chunks(7).usage(12, 9);
        StringBuilder got = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client("/stream/v1", "sk-client")
                .chat().completions().createStreaming(params().build())) {
            s.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(got::append)));
        }
        assertEquals(answer, got.toString(), "the client got the stream");
        assertEquals(1, mock().streams().size(), "the mock streamed");

        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, WAIT);
            assertEquals(1, recs.size());
            JsonObject e = TopicReader.object(recs.get(0));
            assertEquals(answer, e.getJsonObject("llm_response_text").getString("content"),
                    "the response text assembled from the stream");
            assertEquals(true, e.getJsonObject("llm_request").getBoolean("stream"));
            JsonObject summary = e.getJsonObject("llm_summary");
            assertEquals("gpt-4o-mini", summary.getString("model"));
            assertEquals(12, summary.getInteger("prompt_tokens"));
            assertEquals(9, summary.getInteger("completion_tokens"));
            assertTrue(summary.getDouble("duration") >= 0, "TTFT of the stream: " + summary);
            assertEquals(200, e.getJsonObject("response").getInteger("status"));
            assertTrue(e.getJsonObject("response").getJsonObject("headers").getString("content-type")
                    .startsWith("text/event-stream"), e.encode());
        }
    }

    @Test
    void batchOfFiveIsSentAsJsonArraysOfFive() {
        String topic = TopicReader.topic(kafka.bootstrap(), "batch5");
        Routes.put(gw(), mock(), "batch5", Routes.chatRoute("/batch5", mock(),
                Routes.kafkaLogger(kafka.port(), topic).put("batch_max_size", 5).put("inactive_timeout", 30)));
        for (int i = 0; i < 10; i++) {
            Routes.chat(gw(), "/batch5?n=" + i, "question " + i);
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            reader.await(2, WAIT);
            List<ConsumerRecord<String, byte[]>> recs = reader.drain(Duration.ofSeconds(1));
            assertEquals(2, recs.size(), "10 entries in batches of 5 (full batches leave at once)");
            for (ConsumerRecord<String, byte[]> r : recs) {
                JsonArray batch = TopicReader.array(r);
                assertEquals(5, batch.size(), TopicReader.text(r));
                assertEquals("key1", r.key());
            }
            List<String> seen = TopicReader.entries(recs).stream()
                    .map(o -> o.getJsonObject("request").getJsonObject("querystring").getString("n"))
                    .sorted().collect(Collectors.toList());
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), seen, "every request once");
        }
    }

    @Test
    void inactiveTimeoutSendsAPartialBatch() {
        String topic = TopicReader.topic(kafka.bootstrap(), "inactive");
        Routes.put(gw(), mock(), "inactive", Routes.chatRoute("/inactive", mock(),
                Routes.kafkaLogger(kafka.port(), topic).put("batch_max_size", 100).put("inactive_timeout", 1)));
        for (int i = 0; i < 3; i++) {
            Routes.chat(gw(), "/inactive?n=" + i, "question " + i);
        }
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<ConsumerRecord<String, byte[]>> recs = reader.await(1, WAIT);
            assertEquals(1, recs.size(), "the idle batch was flushed");
            JsonArray batch = TopicReader.array(recs.get(0));
            assertEquals(3, batch.size(), "a batch (array) of the three entries: " + batch.encode());
        }
    }

    @Test
    void includeReqBodyFollowsItsExpression() {
        String topic = TopicReader.topic(kafka.bootstrap(), "reqbody");
        JsonObject logger = Routes.kafkaLogger(kafka.port(), topic)
                .put("include_req_body", true)
                .put("include_req_body_expr", new JsonArray().add(new JsonArray().add("arg_log_body").add("==").add("yes")));
        Routes.put(gw(), mock(), "reqbody", Routes.chatRoute("/reqbody", mock(), logger));
        Routes.chat(gw(), "/reqbody?log_body=yes", "body wanted");
        Routes.chat(gw(), "/reqbody?log_body=no", "body not wanted");
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<JsonObject> entries = TopicReader.entries(reader.await(2, WAIT));
            assertEquals(2, entries.size());
            JsonObject wanted = byQuery(entries, "log_body", "yes");
            JsonObject unwanted = byQuery(entries, "log_body", "no");
            String body = wanted.getJsonObject("request").getString("body");
            assertNotNull(body, "expression true: the body is logged: " + wanted.encode());
            assertEquals("body wanted", new JsonObject(body).getJsonArray("messages").getJsonObject(0).getString("content"));
            assertNull(unwanted.getJsonObject("request").getValue("body"), "expression false: no body");
        }
    }

    @Test
    void includeReqBodyExprSpeaksTheSameLanguageAsRouteVars() {
        // lua-resty-expr as in routes' vars: a lower-case group, the two-element form, ipmatch
        String topic = TopicReader.topic(kafka.bootstrap(), "reqbody-expr");
        JsonArray expr = new JsonArray()
                .add(new JsonArray().add("or").add(new JsonArray().add("arg_log_body").add("yes"))
                        .add(new JsonArray().add("arg_force").add("==").add("1")))
                .add(new JsonArray().add("remote_addr").add("ipmatch").add(new JsonArray().add("127.0.0.0/8")));
        JsonObject logger = Routes.kafkaLogger(kafka.port(), topic)
                .put("include_req_body", true)
                .put("include_req_body_expr", expr);
        Routes.put(gw(), mock(), "reqbody-expr", Routes.chatRoute("/reqbody-expr", mock(), logger));
        Routes.chat(gw(), "/reqbody-expr?log_body=yes", "body wanted");
        Routes.chat(gw(), "/reqbody-expr?log_body=no", "body not wanted");
        try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
            List<JsonObject> entries = TopicReader.entries(reader.await(2, WAIT));
            assertEquals(2, entries.size());
            assertNotNull(byQuery(entries, "log_body", "yes").getJsonObject("request").getString("body"),
                    "expression true: the body is logged");
            assertNull(byQuery(entries, "log_body", "no").getJsonObject("request").getValue("body"),
                    "expression false: no body");
        }
    }

    @Test
    void secretsAreMaskedInDefaultAndOriginEntries() {
        String topicDefault = TopicReader.topic(kafka.bootstrap(), "mask");
        String topicOrigin = TopicReader.topic(kafka.bootstrap(), "mask-origin");
        Routes.put(gw(), mock(), "mask", Routes.chatRoute("/mask", mock(), Routes.kafkaLogger(kafka.port(), topicDefault)
                .put("include_req_body", true)));
        Routes.put(gw(), mock(), "mask-origin", Routes.chatRoute("/mask-origin", mock(),
                Routes.kafkaLogger(kafka.port(), topicOrigin).put("meta_format", "origin")));
        String[] secrets = {"Bearer sk-client-1b2c3d-SECRET", "api-key-5e6f7a-SECRET", "x-api-key-8b9c0d-SECRET"};
        String[] headers = {"Authorization", secrets[0], "api-key", secrets[1], "x-api-key", secrets[2]};
        Routes.chat(gw(), "/mask", "hello", headers);
        Routes.chat(gw(), "/mask-origin", "hello", headers);
        assertEquals("Bearer " + Routes.PROVIDER_KEY, mock().lastRequest().header("Authorization"));

        for (String topic : List.of(topicDefault, topicOrigin)) {
            try (TopicReader reader = new TopicReader(kafka.bootstrap(), topic)) {
                List<ConsumerRecord<String, byte[]>> recs = reader.await(1, WAIT);
                assertEquals(1, recs.size(), topic);
                ConsumerRecord<String, byte[]> r = recs.get(0);
                EntryAsserts.noSecret(r, Routes.PROVIDER_KEY, "sk-provider", secrets[0], "sk-client-1b2c3d", secrets[1], secrets[2]);
                String text = TopicReader.text(r);
                if (topic.equals(topicDefault)) {
                    JsonObject h = TopicReader.object(r).getJsonObject("request").getJsonObject("headers");
                    assertEquals("******", h.getString("authorization"));
                    assertEquals("******", h.getString("api-key"));
                    assertEquals("******", h.getString("x-api-key"));
                } else {
                    assertTrue(text.startsWith("POST /mask-origin HTTP/1.1\r\n"), "origin: the raw request: " + text);
                    assertTrue(text.toLowerCase().contains("authorization: ******\r\n"), text);
                    assertTrue(text.contains("x-api-key: ******\r\n"), text);
                }
            }
        }
    }

    @Test
    void badKafkaLoggerConfigsAreRefusedAndNotStored() {
        JsonObject good = Routes.kafkaLogger(kafka.port(), "t-bad");
        List<JsonObject> bad = List.of(
                good.copy().put("kafka_topic", (Object) null),                               // no topic
                good.copy().put("brokers", new JsonArray()),                                  // no broker
                good.copy().put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", 0))),
                good.copy().put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1"))),
                good.copy().put("batch_max_size", 0),
                good.copy().put("meta_format", "json"),
                good.copy().put("required_acks", 2),
                good.copy().put("timeout", 0),
                good.copy().put("include_req_body_expr", new JsonArray().add(new JsonArray().add("arg_x").add("=~~").add("y"))),
                good.copy().put("brokers", new JsonArray().add(new JsonObject().put("host", "127.0.0.1").put("port", 9092)
                        .put("sasl_config", new JsonObject().put("user", "u")))));             // SASL without password
        for (int i = 0; i < bad.size(); i++) {
            JsonObject conf = bad.get(i);
            conf.fieldNames().removeIf(k -> conf.getValue(k) == null);
            JsonObject route = Routes.chatRoute("/bad", mock(), conf);
            HttpResult r = gw().admin("PUT", "/routes/bad" + i, route.encode());
            assertEquals(400, r.status(), "config " + conf.encode() + " must be refused: " + r.body());
            assertTrue(r.jsonObject().getString("error_msg", "").contains("kafka-logger"),
                    "the error names the plugin: " + r.body());
            assertEquals(404, gw().admin("GET", "/routes/bad" + i, null).status(), "nothing stored for " + conf.encode());
        }
        HttpResult ok = gw().admin("PUT", "/routes/good", Routes.chatRoute("/good", mock(), good).encode());
        assertEquals(201, ok.status(), "the same config without the fault is accepted: " + ok.body());
        assertEquals(200, gw().admin("DELETE", "/routes/good", null).status());
    }

    private static JsonObject byQuery(List<JsonObject> entries, String name, String value) {
        return entries.stream()
                .filter(o -> value.equals(o.getJsonObject("request").getJsonObject("querystring").getString(name)))
                .findFirst().orElseThrow(() -> new AssertionError("no entry with " + name + "=" + value + ": " + entries));
    }
}
