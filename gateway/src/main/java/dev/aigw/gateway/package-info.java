/** Start-up: {@link dev.aigw.gateway.Main} and the bootstrap that wires config, store, routes and servers. */
package dev.aigw.gateway;
