/**
 * Black-box tests of {@code ai-cache}: the real gateway jar, the mock LLM counting provider calls,
 * a real {@code redis-server} (two gateway processes on one Redis) for the shared backend.
 */
package dev.aigw.t.aicache;
