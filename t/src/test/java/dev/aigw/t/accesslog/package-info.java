/**
 * Black-box tests of the access log (issue 5): the seed format through ai-proxy and a plain proxied
 * route, escaping, volume, rotation, client aborts, SIGTERM flushing and the configuration keys.
 */
package dev.aigw.t.accesslog;
