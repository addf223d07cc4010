/**
 * APISIX's {@code jwt-auth} plugin: identifies the caller by a signed JWT (header, query argument or
 * cookie) whose key claim names a consumer's jwt-auth {@code key}, verified with that consumer's
 * secret or public key (parsed once per consumers change), and attaches the consumer to the request.
 */
package dev.aigw.plugins.jwtauth;
