package dev.aigw.t.kafka;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads one topic from its beginning with a real {@link KafkaConsumer} (partition 0 assigned, no
 * consumer group: the test broker makes one-partition topics). Records are kept in arrival order;
 * every wait is bounded.
 */
final class TopicReader implements AutoCloseable {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

    TopicReader(String bootstrap, String topic) {
        this(bootstrap, topic, new Properties());
    }

    /** {@code extra}: more consumer settings (SASL). */
    TopicReader(String bootstrap, String topic, Properties extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "t-reader-" + SEQ.incrementAndGet());
        p.putAll(extra);
        consumer = new KafkaConsumer<>(p);
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
    }

    /** Creates a fresh one-partition topic (as a user would before pointing a logger at it). */
    static String topic(String bootstrap, String what) {
        return topic(bootstrap, new Properties(), what);
    }

    /** {@code extra}: more admin client settings (SASL). */
    static String topic(String bootstrap, Properties extra, String what) {
        String name = "t-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.putAll(extra);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
        return name;
    }

    /** Polls until at least {@code n} records arrived in total or the timeout passed; returns all so far. */
    List<ConsumerRecord<String, byte[]>> await(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (records.size() < n && System.nanoTime() - deadline < 0) {
            pollOnce(Duration.ofMillis(200));
        }
        return List.copyOf(records);
    }

    /** Polls for {@code window} (to see that nothing more arrives); returns all records so far. */
    List<ConsumerRecord<String, byte[]>> drain(Duration window) {
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() - deadline < 0) {
            pollOnce(Duration.ofMillis(200));
        }
        return List.copyOf(records);
    }

    private void pollOnce(Duration d) {
        consumer.poll(d).forEach(records::add);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }

    static String text(ConsumerRecord<String, byte[]> r) {
        return new String(r.value(), StandardCharsets.UTF_8);
    }

    static JsonObject object(ConsumerRecord<String, byte[]> r) {
        return new JsonObject(text(r));
    }

    static JsonArray array(ConsumerRecord<String, byte[]> r) {
        return new JsonArray(text(r));
    }

    /** Every entry of the records: a record is one entry (object) or a batch (array of objects). */
    static List<JsonObject> entries(List<ConsumerRecord<String, byte[]>> recs) {
        List<JsonObject> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : recs) {
            String t = text(r).trim();
            if (t.startsWith("[")) {
                new JsonArray(t).forEach(o -> out.add((JsonObject) o));
            } else {
                out.add(new JsonObject(t));
            }
        }
        return out;
    }
}
