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

    /*
     * Identity, not the record's value equality: a parsed configuration is its batch processor's key
     * (one processor per configuration version, released by identity in Plugin.release), and each
     * log-phase push looks it up: the record's hashCode would hash every field, the nested batch
     * settings included, per request.
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
