/**
 * LLM providers: one small declarative class per provider over {@link dev.aigw.plugins.aiproxy.provider.AiProvider}
 * (default host, path per protocol, body tweaks), looked up by APISIX's provider name through
 * {@link dev.aigw.plugins.aiproxy.provider.Providers}; and the cached GCP access tokens Vertex AI needs.
 */
package dev.aigw.plugins.aiproxy.provider;
