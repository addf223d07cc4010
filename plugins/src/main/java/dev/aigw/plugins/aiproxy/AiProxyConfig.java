package dev.aigw.plugins.aiproxy;

/**
 * ai-proxy's parsed configuration.
 *
 * @param instance         the provider to call
 * @param transport        timeouts, keepalive, TLS verification
 * @param logSummaries     {@code logging.summaries}
 * @param logPayloads      {@code logging.payloads}
 * @param executor         the executor (and pooled client) of this configuration; closed on release
 */
public record AiProxyConfig(AiInstance instance, TransportOptions transport, boolean logSummaries,
                            boolean logPayloads, AiExecutor executor) {
}
