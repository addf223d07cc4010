package dev.aigw.gateway.spi;

import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.store.ConfigStore;
import io.vertx.core.Future;
import dev.aigw.gateway.stats.TrafficStats;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;

/** What the core offers a {@link GatewayExtension}. */
public interface GatewayServices {

    Vertx vertx();

    GatewayConfig config();

    /** The configuration store (write path of the Admin API). */
    ConfigStore store();

    /** The enabled plugins, with their schemas; {@code bind} validates a plugin configuration. */
    PluginRegistry plugins();

    /**
     * Validates a route's {@code vars} expression with the same compiler the router uses; null when
     * valid, else the reason (the Admin API words the full message).
     */
    String checkVars(JsonArray vars);

    /**
     * Every stored resource the data plane could not load as it is, as of the last applied change:
     * store key → reason (the migration check's findings on the live gateway). Never blocks.
     */
    default java.util.SortedMap<String, String> loadProblems() {
        return java.util.Collections.emptySortedMap();
    }

    /**
     * Completes with true once this node's data plane has applied the store change at
     * {@code revision} (or a later one), with false after {@code timeoutMs}; never fails. The Admin
     * API answers a write only then, so the next request to this node sees it.
     */
    default Future<Boolean> awaitApplied(long revision, long timeoutMs) {
        return Future.succeededFuture(true);
    }

    /**
     * The health of the nodes of every upstream with {@code checks} in use, as APISIX's Control API
     * {@code GET /v1/healthcheck} lists it (name, type, nodes with ip, port, hostname, status, counter).
     */
    default JsonArray upstreamHealth() {
        return new JsonArray();
    }

    /** Number of running upstream health probers (one per node of each checked upstream in use). */
    default int upstreamProbers() {
        return 0;
    }

    /** The gateway's metrics registry (what plugins record through {@code PluginEnv.metrics()}), or null. */
    default dev.aigw.gateway.metrics.MetricsRegistry metrics() {
        return null;
    }

    /** The in-process traffic statistics the dashboard shows, or null when they are not kept. */
    default TrafficStats trafficStats() {
        return null;
    }

    /** The plugins' secret fields with the configured keyring ({@code apisix.data_encryption}). */
    dev.aigw.gateway.resource.EncryptedFields encryptedFields();
}
