/**
 * Gateway configuration: {@code conf/config-default.yaml} (shipped defaults) deep-merged with the
 * user's {@code conf/config.yaml}, validated once at start into {@link dev.aigw.gateway.conf.GatewayConfig}.
 * Key names follow Apache APISIX's {@code config.yaml}.
 */
package dev.aigw.gateway.conf;
