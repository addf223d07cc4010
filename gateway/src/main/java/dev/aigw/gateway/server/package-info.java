/** The traffic server on {@code node_listen}: the per-request pipeline from matching to logging. */
package dev.aigw.gateway.server;
