/**
 * {@code server-timing}: a W3C {@code Server-Timing} response header telling the caller where the
 * time went (the gateway's own share, the upstream's, and the time to the first token of an AI
 * stream).
 */
package dev.aigw.plugins.servertiming;
