/**
 * Black-box tests of {@code limit-count} and {@code ai-rate-limiting}: the real gateway jar, a real
 * {@code redis-server} for the shared policies, the mock LLM as the provider.
 */
package dev.aigw.t.limits;
