/** Test-only helpers: ports, etcd and Kafka processes, the mock LLM upstream, the gateway launcher. */
package dev.aigw.testkit;
