/**
 * Server-sent events framing for AI streams: a decoder that splits an upstream byte stream into
 * whole events while keeping each event's exact bytes, so the gateway can pass the stream through
 * unchanged and still look inside it (usage, text).
 */
package dev.aigw.plugins.aiproxy.sse;
