/**
 * Health checks of upstream targets, shared by plain upstreams ({@code upstream.checks}) and
 * ai-proxy-multi's instances: APISIX's {@code checks.active} / {@code checks.passive} parsed once
 * ({@link dev.aigw.gateway.upstream.health.ActiveCheck}, {@link dev.aigw.gateway.upstream.health.PassiveCheck}),
 * the per-target state machine with lua-resty-healthcheck's thresholds
 * ({@link dev.aigw.gateway.upstream.health.TargetHealth}), the non-blocking prober
 * ({@link dev.aigw.gateway.upstream.health.Prober}) and the reference-counted registry that gives one
 * prober per target identity however many routes use it ({@link dev.aigw.gateway.upstream.health.HealthRegistry}).
 */
package dev.aigw.gateway.upstream.health;
