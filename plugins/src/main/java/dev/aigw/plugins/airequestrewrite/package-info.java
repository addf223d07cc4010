/** APISIX's {@code ai-request-rewrite} plugin: an LLM call rewrites the request body before it is proxied. */
package dev.aigw.plugins.airequestrewrite;
