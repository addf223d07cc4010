/**
 * The {@code kafka-logger} plugin (APISIX's): one JSON log entry per request (or the raw request
 * text), batched by the gateway's shared batch processor and sent to a Kafka topic with
 * kafka-clients on worker threads, never on an event loop.
 */
package dev.aigw.plugins.kafkalogger;
