/**
 * APISIX's prompt plugins for AI routes — {@code ai-prompt-decorator}, {@code ai-prompt-template} and
 * {@code ai-prompt-guard} — and the protocol-aware view of a request's messages they share
 * ({@link dev.aigw.plugins.aiprompt.PromptBody}). They run before {@code ai-proxy} (priorities
 * 1070-1072 against 1040) and change or check the JSON body that ai-proxy then sends.
 */
package dev.aigw.plugins.aiprompt;
