/** Digests the gateway computes per request (credential lookup, cache keys, request signing), without a provider lookup each time. */
package dev.aigw.gateway.crypto;
