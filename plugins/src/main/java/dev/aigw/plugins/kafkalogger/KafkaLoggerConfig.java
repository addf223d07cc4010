package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.log.BatchProcessorConfig;
import dev.aigw.gateway.route.match.VarsExpr;
import dev.aigw.gateway.log.LogEntryFormat;
import io.vertx.core.json.JsonObject;

/**
 * A parsed {@code kafka-logger} configuration, built once per route build. Two configurations are
 * equal when their JSON is (compiled formats and expressions are derived from it).
 *
 * @param source          the validated JSON (for equality and diagnostics; holds the SASL password,
 *                        never logged)
 * @param producer        producer settings (brokers, acks, timeouts …)
 * @param topic           {@code kafka_topic}
 * @param key             {@code key}: the message key, or null
 * @param origin          {@code meta_format} is {@code origin} (raw request text)
 * @param logFormat       {@code log_format}, compiled, or null
 * @param logFormatExtra  {@code log_format_extra}, compiled, or null
 * @param includeReqBody  {@code include_req_body}
 * @param reqBodyExpr     {@code include_req_body_expr}, or null
 * @param includeRespBody {@code include_resp_body}
 * @param respBodyExpr    {@code include_resp_body_expr}, or null
 * @param batch           the batch processor settings
 */
public record KafkaLoggerConfig(JsonObject source, ProducerSettings producer, String topic, String key,
                                boolean origin, LogEntryFormat logFormat, LogEntryFormat logFormatExtra,
                                boolean includeReqBody, VarsExpr reqBodyExpr, int maxReqBodyBytes,
                                boolean includeRespBody, VarsExpr respBodyExpr, int maxRespBodyBytes,
                                BatchProcessorConfig batch) {

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaLoggerConfig c && c.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    /** Never shows secrets. */
    @Override
    public String toString() {
        return "KafkaLoggerConfig[topic=" + topic + ", " + producer + ", " + batch + "]";
    }
}
