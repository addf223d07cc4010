package dev.aigw.gateway.conf;

/**
 * Where routes and the other resources live: {@code deployment.role_traditional.config_provider}.
 * APISIX's {@code yaml} (a read-only file) is not supported; {@code builtin} is aigw's own writable
 * file store.
 */
public enum ConfigProvider {
    /** The built-in store, one JSON file under the prefix ({@code data/store.json}). The default. */
    BUILTIN("builtin"),
    /** etcd v3, APISIX's key layout under {@code deployment.etcd.prefix}. */
    ETCD("etcd");

    private final String yamlName;

    ConfigProvider(String yamlName) {
        this.yamlName = yamlName;
    }

    /** The value as written in config.yaml. */
    public String yamlName() {
        return yamlName;
    }
}
