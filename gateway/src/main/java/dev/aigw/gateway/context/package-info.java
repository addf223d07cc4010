/** The per-request context and the registry of APISIX / nginx-named variables. */
package dev.aigw.gateway.context;
