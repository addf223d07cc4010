/**
 * The counter core behind the limit plugins ({@code limit-count}, {@code ai-rate-limiting},
 * {@code limit-req}, {@code limit-conn}): one {@link dev.aigw.gateway.limit.CounterPolicy} interface
 * (check, reserve, settle, sliding window) with an in-process policy
 * ({@link dev.aigw.gateway.limit.LocalCounters}, lock-free, bounded) and a Redis policy
 * ({@link dev.aigw.gateway.limit.RedisCounters}, one Lua script per check) over a Vert.x Redis client
 * shared by canonical configuration ({@link dev.aigw.gateway.limit.RedisSettings},
 * {@link dev.aigw.gateway.limit.PolicyRef}); how a request's key becomes a counter key
 * ({@link dev.aigw.gateway.limit.LimitKeys}); and APISIX's Redis schema fields
 * ({@link dev.aigw.gateway.limit.RedisSchema}, ai-cache's too). For {@code redis-sentinel} the master is
 * found by {@code SentinelRedis}, each side with its own credentials.
 */
package dev.aigw.gateway.limit;
