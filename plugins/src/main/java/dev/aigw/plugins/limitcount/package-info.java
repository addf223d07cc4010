/**
 * APISIX's {@code limit-count} plugin and the rate limiting core it shares with
 * {@code ai-rate-limiting} (as APISIX's {@code limit-count/init.lua} is shared): rules, quota
 * headers and {@code $rate_limiting_info}. Keys, counter keys, the Redis schema fragments and the
 * counter policies live in the gateway's {@link dev.aigw.gateway.limit} core, shared by every limit plugin.
 */
package dev.aigw.plugins.limitcount;
