/**
 * APISIX's {@code ai-proxy-multi}: one route over several LLM provider instances, reusing ai-proxy's
 * provider drivers ({@link dev.aigw.plugins.aiproxy.AiExecutor}, {@link dev.aigw.plugins.aiproxy.AiAttempt}).
 *
 * <p>Instances are grouped by {@code priority} (higher first) and balanced inside a group (smooth
 * weighted round robin or consistent hashing). A request that fails on one instance before anything
 * reached the client (connection refused, timeout, and the statuses named by
 * {@code fallback_strategy}) is retried on the next instance, with an optional backoff. Health
 * (passive failure counting with a cool-down, optional active probes) is shared per instance
 * identity by the plugin instance's {@link dev.aigw.plugins.aiproxymulti.HealthRegistry}.
 */
package dev.aigw.plugins.aiproxymulti;
