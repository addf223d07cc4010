package dev.aigw.gateway.upstream.health;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * APISIX's {@code checks.active} ({@code schema_def.lua}'s {@code health_checker_active}) with its
 * defaults, parsed once per configuration.
 *
 * @param type                {@code http}, {@code https} or {@code tcp}; null when not given (then the
 *                            owner decides: plain upstreams default to {@code http} as APISIX)
 * @param timeoutMs           {@code timeout} (seconds in the config, default 1)
 * @param concurrency         {@code concurrency} (default 10): at most this many probes of one checker in flight
 * @param host                {@code host}: the Host header (and the target's hostname) of a probe, or null
 * @param port                {@code port}: probe this port instead of the node's, or 0
 * @param httpMethod          {@code http_method} (default GET)
 * @param httpPath            {@code http_path} (default /)
 * @param httpReqBody         {@code http_req_body}, or empty
 * @param verifyCertificate   {@code https_verify_certificate} (default true)
 * @param reqHeaders          {@code req_headers} as {@code [name, value]} pairs
 * @param healthyIntervalMs   {@code healthy.interval}: probe period while healthy
 * @param healthyStatuses     {@code healthy.http_statuses}
 * @param successes           {@code healthy.successes} to become healthy
 * @param unhealthyIntervalMs {@code unhealthy.interval}: probe period while unhealthy
 * @param unhealthyStatuses   {@code unhealthy.http_statuses}
 * @param httpFailures        {@code unhealthy.http_failures} to become unhealthy
 * @param tcpFailures         {@code unhealthy.tcp_failures}
 * @param timeouts            {@code unhealthy.timeouts}
 */
public record ActiveCheck(String type, long timeoutMs, int concurrency, String host, int port, String httpMethod,
                          String httpPath, String httpReqBody, boolean verifyCertificate,
                          List<List<String>> reqHeaders, long healthyIntervalMs, Set<Integer> healthyStatuses,
                          int successes, long unhealthyIntervalMs, Set<Integer> unhealthyStatuses,
                          int httpFailures, int tcpFailures, int timeouts) {

    /** APISIX's {@code healthy.http_statuses} default. */
    public static final Set<Integer> HEALTHY_STATUSES = Set.of(200, 302);
    /** APISIX's {@code unhealthy.http_statuses} default. */
    public static final Set<Integer> UNHEALTHY_STATUSES = Set.of(429, 404, 500, 501, 502, 503, 504, 505);

    /** Parses {@code checks.active} (already schema-checked). */
    public static ActiveCheck parse(JsonObject a) {
        JsonObject healthy = a.getJsonObject("healthy", new JsonObject());
        JsonObject unhealthy = a.getJsonObject("unhealthy", new JsonObject());
        List<List<String>> headers = new ArrayList<>();
        for (Object o : a.getJsonArray("req_headers", new JsonArray())) {
            String h = String.valueOf(o);
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.add(List.of(h.substring(0, colon).trim(), h.substring(colon + 1).trim()));
            }
        }
        Number timeout = a.getNumber("timeout", 1);
        return new ActiveCheck(a.getString("type"), Math.max(1, Math.round(timeout.doubleValue() * 1000)),
                Math.max(1, a.getInteger("concurrency", 10)),
                a.getString("host"), a.getInteger("port", 0), a.getString("http_method", "GET"),
                a.getString("http_path", "/"), a.getString("http_req_body", ""),
                a.getBoolean("https_verify_certificate", true), List.copyOf(headers),
                healthy.getInteger("interval", 1) * 1000L,
                ints(healthy.getJsonArray("http_statuses"), HEALTHY_STATUSES),
                healthy.getInteger("successes", 2),
                unhealthy.getInteger("interval", 1) * 1000L,
                ints(unhealthy.getJsonArray("http_statuses"), UNHEALTHY_STATUSES),
                unhealthy.getInteger("http_failures", 5),
                unhealthy.getInteger("tcp_failures", 2),
                unhealthy.getInteger("timeouts", 3));
    }

    /** What a probe's HTTP status says (lua-resty-healthcheck: healthy list, unhealthy list, else nothing). */
    public ProbeResult classify(int status) {
        return ProbeResult.of(status, healthyStatuses, unhealthyStatuses);
    }

    static Set<Integer> ints(JsonArray a, Set<Integer> dflt) {
        if (a == null) {
            return dflt;
        }
        Set<Integer> s = new HashSet<>();
        for (Object o : a) {
            s.add(((Number) o).intValue());
        }
        return Set.copyOf(s);
    }
}
