/**
 * The kinds of stored resources (routes, upstreams, services, plugin configs, consumers, credentials,
 * consumer groups, global rules, plugin metadata): one {@link dev.aigw.gateway.resource.ResourceKind}
 * descriptor each, read by both the Admin API and the route-table builder, so that adding a kind
 * touches one place.
 */
package dev.aigw.gateway.resource;
