/**
 * Black-box tests of {@code ai-request-log} and {@code ai-error-notify} (issue 17): the gateway jar
 * as a process with the mock LLM; rows read back from the real SQLite file and from a real
 * PostgreSQL server ({@link dev.aigw.testkit.PostgresProcess}); notifications received by a local
 * webhook server.
 */
package dev.aigw.t.requestlog;
