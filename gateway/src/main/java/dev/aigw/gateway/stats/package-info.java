/**
 * In-process traffic statistics for the dashboard: per-minute buckets over the last day (requests,
 * errors, latency and time-to-first-token histograms, tokens, cost, cache and rate-limit outcomes,
 * per model / route / consumer) and the recent failed and slowest requests, all bounded in memory and
 * recorded without locks from the log phase. No Prometheus server is needed to read them.
 */
package dev.aigw.gateway.stats;
