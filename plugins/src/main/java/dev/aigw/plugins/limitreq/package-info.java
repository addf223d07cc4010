/** APISIX's {@code limit-req} plugin: a leaky bucket per key, with delays on Vert.x timers. */
package dev.aigw.plugins.limitreq;
