package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.upstream.health.ActiveCheck;
import dev.aigw.plugins.aiproxy.AiInstance;

/**
 * One entry of {@code instances}, parsed once.
 *
 * @param index     position in {@code instances}
 * @param name      {@code name}, unique in the route
 * @param priority  {@code priority}: higher groups are tried first
 * @param weight    {@code weight} inside its priority group (0: never chosen by the balancer)
 * @param instance  the provider call settings, as ai-proxy parses them
 * @param healthKey the identity under which health is shared between routes: provider, address,
 *                  a fingerprint of the auth (never the key itself) and of the checks
 * @param active    {@code checks.active}, or null
 * @param probeModel {@code checks.active.health_check_model} (our extension): probe with a one-token chat, or null
 * @param passive   passive health settings
 * @param models    {@code models}: the request models served and their provider names, or null for all
 */
public record MultiInstance(int index, String name, int priority, int weight, AiInstance instance,
                            String healthKey, ActiveCheck active, String probeModel, PassiveCheck passive,
                            ModelRoutes models) {

    /**
     * The model to send for a request's model, "" to let the instance choose ({@code options.model},
     * else the client's), or null when the instance does not serve it.
     */
    String route(String requestModel) {
        if (models == null) {
            return "";
        }
        return models.resolve(requestModel, instance.optionsModel() != null ? instance.optionsModel() : requestModel);
    }

    @Override
    public String toString() {
        return "MultiInstance[" + name + ", " + instance.provider().name() + "]";
    }
}
