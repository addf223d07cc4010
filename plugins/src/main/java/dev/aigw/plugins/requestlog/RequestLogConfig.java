package dev.aigw.plugins.requestlog;

import dev.aigw.gateway.log.BatchProcessorConfig;

/**
 * ai-request-log's configuration on a route or global rule.
 *
 * @param customCostHeader a request header whose value sets this call's cost (a number of dollars,
 *                         or Cloudflare's {@code {"per_token_in":…,"per_token_out":…}}); trusted, so
 *                         only named when every client that can send it is trusted; null: off
 * @param allRequests      also log requests no AI plugin handled ({@code request_type} {@code traditional_http})
 * @param maxPayloadBytes  cap on each stored prompt and reply text (when {@code logging.payloads} is on)
 * @param batch            the batch processor settings
 */
record RequestLogConfig(String customCostHeader, boolean allRequests, int maxPayloadBytes, BatchProcessorConfig batch) {
}
