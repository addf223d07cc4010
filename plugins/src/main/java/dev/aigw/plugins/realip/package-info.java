/** APISIX's {@code real-ip} plugin: the client address from a header set by a trusted proxy. */
package dev.aigw.plugins.realip;
