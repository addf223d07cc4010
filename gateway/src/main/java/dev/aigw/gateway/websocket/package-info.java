/**
 * WebSocket passthrough ({@code enable_websocket} on a route or service): the route's rewrite and
 * access phases run on the upgrade request as on any other; then the upstream handler opens the
 * upstream WebSocket first (so a refused or failed connection is still an HTTP answer: 502, 504 or the
 * upstream's own status), upgrades the client, and {@link dev.aigw.gateway.websocket.WebSocketRelay}
 * relays frames both ways with back-pressure, a size cap, an idle timeout and close propagation.
 */
package dev.aigw.gateway.websocket;
