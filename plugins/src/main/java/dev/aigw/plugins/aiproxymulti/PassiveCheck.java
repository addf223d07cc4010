package dev.aigw.plugins.aiproxymulti;

import io.vertx.core.json.JsonObject;

/**
 * Passive health of one instance, from the answers to real requests ({@code checks.passive}, our
 * extension; on by default): after {@code failures} consecutive failed attempts (connection refused,
 * timeout, 5xx) the instance is taken out; without an active probe it comes back after
 * {@code cooldownMs} on trial (one more failure takes it out again, a success keeps it in).
 *
 * @param failures   {@code unhealthy.failures}, consecutive failures that take the instance out
 * @param cooldownMs {@code cooldown} (seconds in the config)
 */
public record PassiveCheck(int failures, long cooldownMs) {

    public static final PassiveCheck DEFAULT = new PassiveCheck(3, 30_000);

    static PassiveCheck parse(JsonObject p) {
        if (p == null) {
            return DEFAULT;
        }
        JsonObject unhealthy = p.getJsonObject("unhealthy", new JsonObject());
        Number cooldown = p.getNumber("cooldown", 30);
        return new PassiveCheck(unhealthy.getInteger("failures", DEFAULT.failures()),
                Math.max(1, Math.round(cooldown.doubleValue() * 1000)));
    }
}
