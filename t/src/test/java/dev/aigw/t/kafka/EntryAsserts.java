package dev.aigw.t.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** Checks on raw Kafka messages. */
final class EntryAsserts {

    private EntryAsserts() {
    }

    /** Searches the whole raw message (value bytes and key) for each secret. */
    static void noSecret(ConsumerRecord<String, byte[]> r, String... secrets) {
        String raw = new String(r.value(), StandardCharsets.UTF_8) + "\n" + r.key();
        for (String s : secrets) {
            assertFalse(raw.contains(s), "secret '" + s + "' appears in the Kafka message: " + raw);
        }
    }
}
