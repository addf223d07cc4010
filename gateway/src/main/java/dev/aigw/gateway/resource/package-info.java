/**
 * Resources shared between route configurations (Redis clients, later caches and database pools),
 * acquired and released by a canonical key so that equal configurations share one instance.
 */
package dev.aigw.gateway.resource;
