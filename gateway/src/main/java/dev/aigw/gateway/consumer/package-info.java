/**
 * Consumers, their credentials and consumer groups as the data plane sees them: an immutable
 * {@link dev.aigw.gateway.consumer.Consumers} built with each configuration change (the auth-key index
 * included), and the consumer &gt; consumer group &gt; route plugin merge, computed once per
 * (route, consumer) and cached for the life of that configuration.
 */
package dev.aigw.gateway.consumer;
