/**
 * The gateway's metrics registry: counters, gauges and histograms with bounded label sets, recorded
 * lock-free on the request path by the core and by plugins (through
 * {@link dev.aigw.gateway.plugin.PluginEnv#metrics()}), and rendered by the Prometheus Java client's
 * text writer for whoever exposes them (the {@code prometheus} plugin).
 */
package dev.aigw.gateway.metrics;
