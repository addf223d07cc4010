package dev.aigw.plugins.prometheus;

/**
 * The plugin's configuration on a route, service or global rule (APISIX's schema).
 *
 * @param preferName label routes and services by name instead of id
 */
record PrometheusConf(boolean preferName) {
}
