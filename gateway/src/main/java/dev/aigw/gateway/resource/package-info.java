/**
 * The kinds of stored resources (routes, upstreams, services, plugin configs, consumers, credentials,
 * consumer groups, global rules, plugin metadata): one {@link dev.aigw.gateway.resource.ResourceKind}
 * descriptor each, read by both the Admin API and the route-table builder, so that adding a kind
 * touches one place.
 *
 * <p>Resources shared between route configurations (Redis clients, later caches and database pools),
 * acquired and released by a canonical key so that equal configurations share one instance.
 */
package dev.aigw.gateway.resource;
