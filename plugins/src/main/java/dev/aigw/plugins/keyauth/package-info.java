/**
 * APISIX's {@code key-auth} plugin: identifies the caller by a gateway key (header, query argument,
 * or, for the OpenAI and Anthropic SDKs, {@code Authorization: Bearer} and {@code x-api-key}) and
 * attaches the consumer to the request.
 */
package dev.aigw.plugins.keyauth;
