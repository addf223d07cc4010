/**
 * APISIX's {@code ai-rate-limiting}: token budgets per LLM instance, per key ({@code rules}) or for
 * the whole route, on the shared rate limiting core; plus aigw's reservation (an estimate taken
 * before the call, settled to the real usage after it).
 */
package dev.aigw.plugins.airatelimiting;
