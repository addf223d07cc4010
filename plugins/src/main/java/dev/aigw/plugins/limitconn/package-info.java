/** APISIX's {@code limit-conn} plugin: concurrent requests per key, with burst delays on Vert.x timers. */
package dev.aigw.plugins.limitconn;
