package dev.aigw.plugins.requestlog;

/**
 * One AI call as stored: built on the event loop in the log phase, written on a worker thread.
 * Null numbers are stored as SQL NULL (unknown), never as 0.
 */
record LogRow(long timeMs, String requestId, String routeId, String routeName, String consumer, String clientIp,
              String requestType, String provider, String instance, String requestModel, String model, int status,
              Integer upstreamStatus, double latencyMs, Long ttftMs, Long promptTokens, Long completionTokens,
              Long cachedTokens, Long totalTokens, Double cost, String costSource, Integer attempts,
              String requestText, String responseText) {
}
