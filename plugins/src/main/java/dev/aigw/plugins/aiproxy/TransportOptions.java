package dev.aigw.plugins.aiproxy;

import io.vertx.core.json.JsonObject;

/**
 * How the gateway talks to providers, from the plugin's top-level keys.
 *
 * @param timeoutMs          {@code timeout}: connect and idle (between bytes) timeout, ms
 * @param keepalive          {@code keepalive}
 * @param keepaliveTimeoutMs {@code keepalive_timeout}, ms
 * @param keepalivePool      {@code keepalive_pool}: pooled connections per host
 * @param sslVerify          {@code ssl_verify}
 * @param maxResponseBytes   {@code max_response_bytes}, 0 for no cap
 * @param maxStreamDurationMs {@code max_stream_duration_ms}, 0 for no cap
 * @param maxReqBodySize     {@code max_req_body_size}: the largest request body the plugin reads into memory
 *                           (APISIX's default 64 MiB); a larger one is answered 413 while it is read
 */
public record TransportOptions(long timeoutMs, boolean keepalive, long keepaliveTimeoutMs, int keepalivePool,
                               boolean sslVerify, long maxResponseBytes, long maxStreamDurationMs,
                               long maxReqBodySize) {

    /** A non-streamed answer larger than this is refused even without {@code max_response_bytes}. */
    public static final long DEFAULT_MAX_BUFFERED = 64L << 20;
    /** APISIX's {@code max_req_body_size} default (ai-proxy and ai-proxy-multi): 64 MiB. */
    public static final long DEFAULT_MAX_REQ_BODY_SIZE = 64L << 20;

    /** Options without a request body cap of their own (tests). */
    public TransportOptions(long timeoutMs, boolean keepalive, long keepaliveTimeoutMs, int keepalivePool,
                            boolean sslVerify, long maxResponseBytes, long maxStreamDurationMs) {
        this(timeoutMs, keepalive, keepaliveTimeoutMs, keepalivePool, sslVerify, maxResponseBytes,
                maxStreamDurationMs, DEFAULT_MAX_REQ_BODY_SIZE);
    }

    /** Reads the keys with APISIX's defaults (the schema has validated their types). */
    public static TransportOptions from(JsonObject conf) {
        return new TransportOptions(
                conf.getLong("timeout", 30000L),
                conf.getBoolean("keepalive", true),
                conf.getLong("keepalive_timeout", 60000L),
                conf.getInteger("keepalive_pool", 30),
                conf.getBoolean("ssl_verify", true),
                conf.getLong("max_response_bytes", 0L),
                conf.getLong("max_stream_duration_ms", 0L),
                conf.getLong("max_req_body_size", DEFAULT_MAX_REQ_BODY_SIZE));
    }

    /** The cap on a buffered (non-streamed) answer. */
    long bufferCap() {
        return maxResponseBytes > 0 ? maxResponseBytes : DEFAULT_MAX_BUFFERED;
    }
}
