package dev.aigw.plugins.aiproxymulti;

import io.vertx.core.json.JsonArray;

import java.util.HashSet;
import java.util.Set;

/**
 * When a provider's answer sends the request to another instance ({@code fallback_strategy} and
 * {@code fallback_http_statuses}). Connection failures and timeouts always fall back.
 *
 * @param http429      {@code http_429}: a 429 falls back
 * @param http5xx      {@code http_5xx}: any 5xx falls back
 * @param rateLimiting {@code rate_limiting} / {@code instance_health_and_rate_limiting}: a 429 falls
 *                     back and keeps the instance out for its {@code Retry-After} (1 s without one)
 * @param statuses     {@code fallback_http_statuses}: more statuses that fall back (401, 402 …)
 */
public record FallbackStrategy(boolean http429, boolean http5xx, boolean rateLimiting, Set<Integer> statuses) {

    /** True when an answer with this status should be discarded and another instance tried. */
    public boolean fallsBackOn(int status) {
        if (status == 429 && (http429 || rateLimiting)) {
            return true;
        }
        if (status >= 500 && status < 600 && http5xx) {
            return true;
        }
        return statuses.contains(status);
    }

    /** Parses the schema-validated values (a string, an array of strings, or absent). */
    static FallbackStrategy parse(Object strategy, JsonArray extra) {
        Set<String> names = new HashSet<>();
        if (strategy instanceof String s) {
            names.add(s);
        } else if (strategy instanceof JsonArray a) {
            for (Object o : a) {
                names.add(String.valueOf(o));
            }
        }
        Set<Integer> statuses = new HashSet<>();
        if (extra != null) {
            for (Object o : extra) {
                statuses.add(((Number) o).intValue());
            }
        }
        return new FallbackStrategy(names.contains("http_429"), names.contains("http_5xx"),
                names.contains("rate_limiting") || names.contains("instance_health_and_rate_limiting"),
                Set.copyOf(statuses));
    }
}
