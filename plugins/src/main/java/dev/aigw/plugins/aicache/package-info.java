/**
 * APISIX 3.18's {@code ai-cache} (exact layer): answers a repeated AI request from a cache (in
 * process with Caffeine, or Redis) keyed by the effective upstream request, coalesces identical
 * requests in flight into one provider call, and replays cached streams event for event.
 */
package dev.aigw.plugins.aicache;
