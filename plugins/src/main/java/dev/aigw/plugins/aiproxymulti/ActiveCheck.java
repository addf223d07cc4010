package dev.aigw.plugins.aiproxymulti;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code checks.active} of one instance, with APISIX's defaults (lua-resty-healthcheck's), parsed once.
 *
 * <p>The probe is either an HTTP request to {@code http_path} on the instance's host, or — with
 * {@code health_check_model} (our extension) — a one-token chat completion with that model through
 * the instance's provider, path and auth, so that a probe checks what a request would use.
 *
 * @param type                  {@code http}, {@code https} or {@code tcp}; null: the endpoint's scheme
 * @param timeoutMs             {@code timeout} (seconds in the config)
 * @param host                  {@code host}: the Host header of an HTTP probe, or null
 * @param port                  {@code port}: overrides the instance's port, or 0
 * @param httpMethod            {@code http_method}
 * @param httpPath              {@code http_path}
 * @param httpReqBody           {@code http_req_body}, or empty
 * @param verifyCertificate     {@code https_verify_certificate}
 * @param reqHeaders            {@code req_headers} as {@code [name, value]} pairs
 * @param healthCheckModel      the model of a chat probe, or null for a plain HTTP probe
 * @param healthyIntervalMs     {@code healthy.interval}: probe period while healthy
 * @param healthyStatuses       {@code healthy.http_statuses}
 * @param successes             {@code healthy.successes} to become healthy
 * @param unhealthyIntervalMs   {@code unhealthy.interval}: probe period while unhealthy
 * @param unhealthyStatuses     {@code unhealthy.http_statuses}
 * @param httpFailures          {@code unhealthy.http_failures} to become unhealthy
 * @param tcpFailures           {@code unhealthy.tcp_failures}
 * @param timeouts              {@code unhealthy.timeouts}
 */
public record ActiveCheck(String type, long timeoutMs, String host, int port, String httpMethod, String httpPath,
                          String httpReqBody, boolean verifyCertificate, List<List<String>> reqHeaders,
                          String healthCheckModel, long healthyIntervalMs, Set<Integer> healthyStatuses,
                          int successes, long unhealthyIntervalMs, Set<Integer> unhealthyStatuses,
                          int httpFailures, int tcpFailures, int timeouts) {

    static ActiveCheck parse(JsonObject a) {
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
                a.getString("host"), a.getInteger("port", 0), a.getString("http_method", "GET"),
                a.getString("http_path", "/"), a.getString("http_req_body", ""),
                a.getBoolean("https_verify_certificate", true), List.copyOf(headers),
                a.getString("health_check_model"),
                healthy.getInteger("interval", 1) * 1000L,
                ints(healthy.getJsonArray("http_statuses"), Set.of(200, 302)),
                healthy.getInteger("successes", 2),
                unhealthy.getInteger("interval", 1) * 1000L,
                ints(unhealthy.getJsonArray("http_statuses"), Set.of(429, 404, 500, 501, 502, 503, 504, 505)),
                unhealthy.getInteger("http_failures", 5),
                unhealthy.getInteger("tcp_failures", 2),
                unhealthy.getInteger("timeouts", 3));
    }

    private static Set<Integer> ints(JsonArray a, Set<Integer> dflt) {
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
