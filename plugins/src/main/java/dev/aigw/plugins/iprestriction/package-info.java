/** APISIX's {@code ip-restriction} plugin: allow or deny clients by address or CIDR block. */
package dev.aigw.plugins.iprestriction;
