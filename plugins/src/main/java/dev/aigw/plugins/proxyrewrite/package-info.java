/**
 * APISIX's {@code proxy-rewrite} plugin: rewrites the upstream request's uri ({@code uri},
 * {@code regex_uri}), method, Host and headers, with {@code $var} interpolation, in the rewrite phase.
 */
package dev.aigw.plugins.proxyrewrite;
