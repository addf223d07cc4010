/**
 * Black-box tests of {@code ai-proxy-multi}: the real gateway jar as a process, several mock LLM
 * instances as providers, the official OpenAI Java SDK as the client, the access log as the witness
 * of which instance answered after how many attempts.
 */
package dev.aigw.t.multi;
