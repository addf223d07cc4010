/**
 * Test-only helpers: ports, etcd and Kafka processes, the mock LLM upstream, the gateway launcher, and
 * the benchmark's WebSocket load tool and echo server ({@link dev.aigw.testkit.WsBench}).
 */
package dev.aigw.testkit;
