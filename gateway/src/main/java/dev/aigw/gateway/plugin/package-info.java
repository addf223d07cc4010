/**
 * The plugin contract ({@link dev.aigw.gateway.plugin.Plugin}), the registry that discovers and
 * validates plugins, and the runner that calls their phases in priority order.
 */
package dev.aigw.gateway.plugin;
