package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.upstream.health.Prober;
import io.vertx.core.Vertx;

/**
 * The health of every instance identity in use, held by one plugin instance (no static state): routes
 * that use the same provider, address, auth and checks share one {@link InstanceHealth} and at most one
 * prober. A thin view over the core's {@link dev.aigw.gateway.upstream.health.HealthRegistry} (the same
 * machinery plain upstreams' {@code checks} use), keyed by {@link MultiInstance#healthKey}.
 */
public final class HealthRegistry {

    private final dev.aigw.gateway.upstream.health.HealthRegistry<InstanceHealth> registry =
            new dev.aigw.gateway.upstream.health.HealthRegistry<>();

    /** Takes a reference on the instance's shared health, starting its prober if it has active checks. */
    InstanceHealth acquire(MultiInstance inst, Vertx vertx) {
        return registry.acquire(inst.healthKey(), () -> InstanceHealth.of(inst),
                h -> inst.active() == null ? null
                        : new Prober(vertx, h.target(), new AiProbe(vertx, inst), "ai-proxy-multi instance " + inst.name()));
    }

    /** Gives back a reference taken by {@link #acquire}; the last one stops the prober and forgets the state. */
    void release(MultiInstance inst) {
        registry.release(inst.healthKey());
    }

    /** Number of identities in use (tests, diagnostics). */
    public int size() {
        return registry.size();
    }

    /** Number of running probers (tests, diagnostics). */
    public int probers() {
        return registry.probers();
    }

    /** Whether the identity is currently marked healthy, or null when it is not in use. */
    public Boolean healthy(String healthKey) {
        InstanceHealth h = registry.get(healthKey);
        return h == null ? null : h.healthy();
    }

    /** Stops every prober (plugin shutdown). */
    void close() {
        registry.close();
    }
}
