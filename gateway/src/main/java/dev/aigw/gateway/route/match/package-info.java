/**
 * Request matching for the route table, compiled once per route change: uri patterns (exact,
 * prefix, {@code :param}), methods, hosts, remote addresses and APISIX {@code vars} expressions
 * (lua-resty-expr semantics, including {@code post_arg.*} conditions on the request body).
 *
 * <p>Every type here is immutable after construction and safe to share between event loops.
 */
package dev.aigw.gateway.route.match;
