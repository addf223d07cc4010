/** Black-box tests: the real gateway jar as a process, real etcd and Kafka, a mock LLM upstream. */
package dev.aigw.t;
