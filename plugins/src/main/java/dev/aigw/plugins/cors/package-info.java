/** APISIX's {@code cors} plugin: CORS preflight answers and response headers for browser clients. */
package dev.aigw.plugins.cors;
