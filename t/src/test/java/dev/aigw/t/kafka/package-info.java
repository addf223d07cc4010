/**
 * Black-box tests of the {@code kafka-logger} plugin (issue 6): the gateway jar runs as a process,
 * a real single-node Kafka broker (KRaft, its own JVM, no Docker) is shared by the classes here
 * ({@link dev.aigw.t.kafka.SharedKafka}), and entries are read back with a real Kafka consumer.
 */
package dev.aigw.t.kafka;
