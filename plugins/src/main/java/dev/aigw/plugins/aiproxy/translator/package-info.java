/**
 * Translators: one per (client protocol, provider protocol) pair, as Envoy AI Gateway's
 * {@code internal/translator} and APISIX's {@code ai-protocols/converters}. Each translates the
 * request body and headers, the answer (a JSON body, or a stream chunk by chunk) and reads the usage.
 * {@link dev.aigw.plugins.aiproxy.AiAttempt} only relays bytes through one; {@link Translators}
 * picks it. A new provider declares its capabilities; a new protocol pair adds a translator and a
 * line in {@link Translators}: neither touches the relay.
 */
package dev.aigw.plugins.aiproxy.translator;
