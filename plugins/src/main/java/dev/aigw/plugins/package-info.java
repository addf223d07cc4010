/** Built-in plugins, each in its own package, found through {@link java.util.ServiceLoader}. */
package dev.aigw.plugins;
