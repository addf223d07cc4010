package dev.aigw.plugins.aiproxymulti;

import dev.aigw.plugins.aiproxy.AiExecutor;
import dev.aigw.plugins.aiproxy.TransportOptions;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * ai-proxy-multi's parsed configuration. Parsing has no side effect: the shared health entries and
 * probers are taken by the {@link Lease} when the first request uses the configuration, and given
 * back by {@link AiProxyMultiPlugin#release}.
 *
 * @param instances      {@code instances}, in configuration order
 * @param groups         the priority groups, highest first
 * @param hashOn         the consistent-hash key source, or null for round robin
 * @param fallback       {@code fallback_strategy} and {@code fallback_http_statuses}
 * @param maxAttempts    attempts per request in all (1–5): {@code max_attempts}, {@code max_retries}+1,
 *                       else one per instance
 * @param retryDelayMs   {@code retry_delay}, the base wait before a retry
 * @param backoff        {@code backoff}
 * @param retryWithinMs  {@code retry_on_failure_within_ms}: a slower failure is not retried; 0 for no limit
 * @param transport      timeouts, keepalive, TLS verification (shared by all instances)
 * @param logSummaries   {@code logging.summaries}
 * @param logPayloads    {@code logging.payloads}
 * @param executor       the executor (and pooled client) of this configuration
 * @param lease          the configuration's hold on the shared health state
 */
public record MultiConfig(List<MultiInstance> instances, List<PriorityGroup> groups, HashOn hashOn,
                          FallbackStrategy fallback, int maxAttempts, long retryDelayMs, Backoff backoff,
                          long retryWithinMs, TransportOptions transport, boolean logSummaries,
                          boolean logPayloads, AiExecutor executor, Lease lease) {

    /** At most this many attempts per request, whatever the configuration says. */
    public static final int MAX_ATTEMPTS = 5;

    /**
     * A configuration's references on the shared {@link InstanceHealth} of its instances: taken once,
     * on first use, and given back once on release. A request that still runs on a released
     * configuration gets private health objects (no prober is restarted for it).
     */
    public static final class Lease {
        private final HealthRegistry registry;
        private final List<MultiInstance> instances;
        private InstanceHealth[] healths;
        private boolean released;

        Lease(HealthRegistry registry, List<MultiInstance> instances) {
            this.registry = registry;
            this.instances = instances;
        }

        /** The health of each instance (by {@link MultiInstance#index()}). */
        synchronized InstanceHealth[] healths(Vertx vertx) {
            if (healths == null) {
                InstanceHealth[] h = new InstanceHealth[instances.size()];
                for (MultiInstance mi : instances) {
                    h[mi.index()] = released ? InstanceHealth.of(mi)
                            : registry.acquire(mi, vertx);
                }
                healths = h;
            }
            return healths;
        }

        synchronized void release() {
            if (released) {
                return;
            }
            released = true;
            if (healths != null) {
                for (MultiInstance mi : instances) {
                    registry.release(mi);
                }
            }
        }
    }
}
