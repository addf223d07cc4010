/**
 * APISIX's {@code limit-count} plugin and the rate limiting core it shares with
 * {@code ai-rate-limiting} (as APISIX's {@code limit-count/init.lua} is shared): schemas with the
 * Redis fields, rule and key resolution, counter keys, quota headers and {@code $rate_limiting_info}.
 * Counters themselves live in the gateway's {@link dev.aigw.gateway.limit} core.
 */
package dev.aigw.plugins.limitcount;
