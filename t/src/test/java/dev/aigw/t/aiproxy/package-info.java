/**
 * Black-box tests of the ai-proxy plugin: the real gateway jar, the official OpenAI Java client and a
 * mock LLM; what reaches the provider is read from the mock, the LLM variables from the access log.
 */
package dev.aigw.t.aiproxy;
