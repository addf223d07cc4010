package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.upstream.UpstreamHandler;
import dev.aigw.plugins.PluginPipeline;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the kafka-logger tests share: route {@code r1} with the plugin on a {@link PluginPipeline},
 * an upstream answering "hello world", configurations for a broker, and reading a topic back.
 */
final class KafkaLogs {

    static final String ROUTE_ID = "r1";

    private KafkaLogs() {
    }

    /** Puts route {@code r1} on {@code /*} with kafka-logger configured by {@code conf}; returns its binding. */
    static PluginBinding<?> route(PluginPipeline gw, JsonObject conf) throws Exception {
        return route(gw, ROUTE_ID, "/*", conf, ctx -> { });
    }

    /**
     * Puts route {@code id} on {@code uri} with kafka-logger configured by {@code conf}, whose upstream
     * runs {@code beforeAnswer} and then answers "hello world" (text/plain, through the body filters).
     */
    static PluginBinding<?> route(PluginPipeline gw, String id, String uri, JsonObject conf,
                                  Consumer<RequestContext> beforeAnswer) throws Exception {
        UpstreamHandler hello = ctx -> ctx.readBody().onComplete(ar -> {
            // an upstream takes the whole request before it answers
            beforeAnswer.accept(ctx);
            ctx.response().putHeader("content-type", "text/plain");
            ctx.sendHead(200);
            ctx.end(Buffer.buffer("hello world"));
        });
        JsonObject definition = new JsonObject().put("uri", uri)
                .put("plugins", new JsonObject().put(KafkaLoggerPlugin.NAME, conf));
        return gw.route(id, definition, hello).get(0);
    }

    static String topic() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * A fresh topic, created on the broker before the test sends to it: these tests are about what the
     * logger sends, and the broker's auto-creation on first use can take longer than the producer's
     * timeout on a loaded machine (the first batch then fails and is dropped).
     */
    static String topic(String bootstrap) throws Exception {
        String name = topic();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        return name;
    }

    static JsonObject conf(String bootstrap, String topic) {
        String[] hp = bootstrap.split(":");
        return new JsonObject()
                .put("brokers", new JsonArray().add(new JsonObject()
                        .put("host", hp[0]).put("port", Integer.parseInt(hp[1]))))
                .put("kafka_topic", topic)
                .put("batch_max_size", 1);
    }

    /** Reads records from the beginning of a topic until {@code n} arrived or the timeout passed. */
    static List<ConsumerRecord<String, String>> consume(String bootstrap, String topic, int n, Duration timeout,
                                                         Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.putAll(extra);
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static List<ConsumerRecord<String, String>> consume(String bootstrap, String topic, int n) {
        return consume(bootstrap, topic, n, Duration.ofSeconds(30), Map.of());
    }
}
