/**
 * The counter core behind {@code limit-count} and {@code ai-rate-limiting}: one {@link
 * dev.aigw.gateway.limit.CounterPolicy} interface (check, reserve, settle, sliding window) with an
 * in-process policy ({@link dev.aigw.gateway.limit.LocalCounters}, lock-free, bounded) and a Redis
 * policy ({@link dev.aigw.gateway.limit.RedisCounters}, one Lua script per check) over a Vert.x Redis
 * client shared by canonical configuration ({@link dev.aigw.gateway.limit.RedisSettings}); for
 * {@code redis-sentinel} the master is found by {@code SentinelRedis}, each side with its own credentials.
 */
package dev.aigw.gateway.limit;
