package dev.aigw.plugins.kafkalogger;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Properties;

/**
 * Everything that shapes one Kafka producer: the broker set and the producer options of a
 * {@code kafka-logger} configuration. Routes whose settings are equal share one producer (as APISIX
 * reuses one producer per broker list and configuration); a change makes a new one.
 *
 * <p>Mapping from APISIX's lua-resty-kafka options: {@code required_acks} → {@code acks};
 * {@code timeout} (s) → {@code request.timeout.ms} and {@code max.block.ms};
 * {@code producer_type} {@code sync} → no linger, one request in flight (ordered), {@code async} →
 * {@code producer_time_linger} (s) as {@code linger.ms}; {@code producer_batch_size} →
 * {@code batch.size}; {@code meta_refresh_interval} (s) → {@code metadata.max.age.ms};
 * {@code cluster_name} → part of {@code client.id}. {@code producer_batch_num},
 * {@code producer_max_buffering} and {@code api_version} have no kafka-clients counterpart (the batch
 * processor already bounds batches and the backlog; the protocol version is negotiated).
 *
 * @param bootstrap     {@code host:port,host:port}
 * @param saslMechanism PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, or null without SASL
 */
record ProducerSettings(String bootstrap, String saslMechanism, String saslUser, String saslPassword,
                        int requiredAcks, int timeoutSeconds, boolean sync, int lingerSeconds, int batchSize,
                        int metaRefreshSeconds, int clusterName, boolean tls, boolean tlsVerify) {

    Properties toProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "aigw-kafka-logger-" + clusterName);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        // values are the UTF-8 JSON the plugin built: no String, no second encoding pass
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, requiredAcks == -1 ? "all" : Integer.toString(requiredAcks));
        int timeoutMs = timeoutSeconds * 1000;
        int lingerMs = sync ? 0 : lingerSeconds * 1000;
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (long) timeoutMs);
        // kafka-clients requires delivery.timeout >= linger + request timeout
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs + lingerMs);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, batchSize);
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, (long) metaRefreshSeconds * 1000);
        // reconnect quickly once a broker is back
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000L);
        if (sync) {
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        }
        // idempotence needs acks=all; keep the producer's behaviour the same for every acks value
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        String protocol = tls ? "SSL" : "PLAINTEXT";
        if (saslMechanism != null) {
            protocol = "SASL_" + protocol;
            p.put("sasl.mechanism", saslMechanism);
            String module = "PLAIN".equals(saslMechanism)
                    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(saslUser)
                    + "\" password=\"" + jaasEscape(saslPassword) + "\";");
        }
        p.put("security.protocol", protocol);
        if (tls && !tlsVerify) {
            // without verification APISIX still encrypts; the closest kafka-clients offers without a
            // custom trust manager is skipping the host name check
            p.put("ssl.endpoint.identification.algorithm", "");
        }
        return p;
    }

    private static String jaasEscape(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Never shows the SASL password. */
    @Override
    public String toString() {
        return "ProducerSettings[bootstrap=" + bootstrap + ", sasl=" + saslMechanism + ", acks=" + requiredAcks
                + ", timeout=" + timeoutSeconds + "s, sync=" + sync + ", cluster=" + clusterName + "]";
    }
}
