/**
 * The AI protocols ({@link dev.aigw.plugins.aiproxy.protocol.AiProtocol}: OpenAI chat, embeddings and
 * Responses, Anthropic Messages, Bedrock Converse, Vertex predict, passthrough), how a client's is
 * detected, and readers for usage and text; plus the conversion of OpenAI embeddings to and from
 * Vertex AI's predict API.
 */
package dev.aigw.plugins.aiproxy.protocol;
