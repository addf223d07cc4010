/**
 * APISIX's {@code ai-proxy} plugin: turns a route into a proxy to one LLM provider.
 *
 * <p>{@link dev.aigw.plugins.aiproxy.AiProxyPlugin} reads and checks the body in {@code access} and
 * installs {@link dev.aigw.plugins.aiproxy.AiUpstream}. The reusable parts, meant for
 * {@code ai-proxy-multi} too: {@link dev.aigw.plugins.aiproxy.AiInstance} (one provider with its
 * auth, options and endpoint, parsed once), {@link dev.aigw.plugins.aiproxy.AiExecutor} (a pooled
 * client per configuration; {@code send} performs one call and yields an
 * {@link dev.aigw.plugins.aiproxy.AiAttempt} whose answer has not reached the client yet, so a
 * caller may still fail over) and {@link dev.aigw.plugins.aiproxy.AiVars}.
 */
package dev.aigw.plugins.aiproxy;
