package dev.aigw.gateway.upstream.health;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * APISIX's {@code checks.passive} ({@code schema_def.lua}'s {@code health_checker_passive}) with its
 * defaults: the answers to proxied requests count toward the node's health. A threshold of 0 turns
 * that kind of report off (lua-resty-healthcheck).
 *
 * @param healthyStatuses   {@code healthy.http_statuses} (default 200–208, 226, 300–308)
 * @param successes         {@code healthy.successes} (default 5)
 * @param unhealthyStatuses {@code unhealthy.http_statuses} (default 429, 500, 503)
 * @param httpFailures      {@code unhealthy.http_failures} (default 5)
 * @param tcpFailures       {@code unhealthy.tcp_failures} (default 2)
 * @param timeouts          {@code unhealthy.timeouts} (default 7)
 */
public record PassiveCheck(Set<Integer> healthyStatuses, int successes, Set<Integer> unhealthyStatuses,
                           int httpFailures, int tcpFailures, int timeouts) {

    /** APISIX's {@code passive.healthy.http_statuses} default. */
    public static final Set<Integer> HEALTHY_STATUSES = Set.of(200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
            300, 301, 302, 303, 304, 305, 306, 307, 308);
    /** APISIX's {@code passive.unhealthy.http_statuses} default. */
    public static final Set<Integer> UNHEALTHY_STATUSES = Set.of(429, 500, 503);

    /** Parses {@code checks.passive} (already schema-checked). */
    public static PassiveCheck parse(JsonObject p) {
        JsonObject healthy = p.getJsonObject("healthy", new JsonObject());
        JsonObject unhealthy = p.getJsonObject("unhealthy", new JsonObject());
        return new PassiveCheck(ActiveCheck.ints(healthy.getJsonArray("http_statuses"), HEALTHY_STATUSES),
                healthy.getInteger("successes", 5),
                ActiveCheck.ints(unhealthy.getJsonArray("http_statuses"), UNHEALTHY_STATUSES),
                unhealthy.getInteger("http_failures", 5),
                unhealthy.getInteger("tcp_failures", 2),
                unhealthy.getInteger("timeouts", 7));
    }

    /** What a proxied answer's status says. */
    public ProbeResult classify(int status) {
        return ProbeResult.of(status, healthyStatuses, unhealthyStatuses);
    }
}
