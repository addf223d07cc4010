/**
 * The client-facing AI protocols ai-proxy understands (OpenAI chat completions and embeddings), how
 * to recognise them, and how to read usage and text out of their answers; plus the conversion of
 * OpenAI embeddings to and from Vertex AI's predict API.
 */
package dev.aigw.plugins.aiproxy.protocol;
