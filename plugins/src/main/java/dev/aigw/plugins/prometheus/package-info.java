/**
 * APISIX's {@code prometheus} plugin: records APISIX 3.18's request and LLM metrics (names and labels
 * as {@code apisix/plugins/prometheus/exporter.lua}) into the gateway's metrics registry in the log
 * phase, and serves the registry in Prometheus text format on the export server
 * ({@code 127.0.0.1:9091/apisix/prometheus/metrics} by default).
 */
package dev.aigw.plugins.prometheus;
