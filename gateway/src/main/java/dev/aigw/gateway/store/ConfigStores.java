package dev.aigw.gateway.store;

import dev.aigw.gateway.conf.GatewayConfig;
import io.vertx.core.Vertx;

/** Picks the store named by {@code deployment.role_traditional.config_provider}. */
public final class ConfigStores {

    private ConfigStores() {
    }

    /**
     * {@link EtcdStore} for {@code etcd}, else the built-in {@link LocalStore} at
     * {@code <prefix>/data/store.json}. Both use {@code deployment.etcd.prefix} as the key prefix.
     */
    public static ConfigStore create(Vertx vertx, GatewayConfig cfg) {
        return cfg.usesEtcd()
                ? new EtcdStore(vertx, cfg.etcd())
                : new LocalStore(vertx, cfg.prefix(), cfg.etcd().prefix());
    }
}
