/** WebSocket passthrough ({@code enable_websocket}) and OpenAI Realtime through ai-proxy, black-box. */
package dev.aigw.t.websocket;
