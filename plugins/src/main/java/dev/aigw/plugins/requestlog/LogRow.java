package dev.aigw.plugins.requestlog;

import java.util.List;

/**
 * One AI call as stored: built on the event loop in the log phase, written on a worker thread.
 * Null numbers are stored as SQL NULL (unknown), never as 0.
 *
 * <p>The prompt and reply text arrive here cut but not yet masked: masking (a few regular
 * expressions over up to {@code max_payload_bytes} of text) runs on the worker in {@link #masked},
 * not on the event loop. {@code secrets} are the exact credentials the client sent, masked wherever
 * they appear; they never reach the database.
 */
record LogRow(long timeMs, String requestId, String routeId, String routeName, String consumer, String clientIp,
              String requestType, String provider, String instance, String requestModel, String model, int status,
              Integer upstreamStatus, double latencyMs, Long ttftMs, Long promptTokens, Long completionTokens,
              Long cachedTokens, Long totalTokens, Double cost, String costSource, Integer attempts,
              String cacheStatus, String requestText, String responseText, List<String> secrets) {

    /** About what the row holds, for the backlog's byte cap: its texts, and a few hundred bytes for the rest. */
    long bytes() {
        return 256L + (requestText == null ? 0 : requestText.length()) + (responseText == null ? 0 : responseText.length());
    }

    /** This row with its texts masked and cut to {@code max} characters (call on a worker thread). */
    LogRow masked(int max) {
        if (requestText == null && responseText == null) {
            return this;
        }
        return new LogRow(timeMs, requestId, routeId, routeName, consumer, clientIp, requestType, provider, instance,
                requestModel, model, status, upstreamStatus, latencyMs, ttftMs, promptTokens, completionTokens,
                cachedTokens, totalTokens, cost, costSource, attempts, cacheStatus, cut(SecretMasker.mask(requestText, secrets), max),
                cut(SecretMasker.mask(responseText, secrets), max), List.of());
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
