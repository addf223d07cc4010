package dev.aigw.gateway.consumer;

import dev.aigw.gateway.plugin.PluginBinding;

import java.util.List;

/**
 * A consumer group ({@code /apisix/consumer_groups/<id>}): plugins shared by its consumers.
 *
 * @param id       the group id
 * @param plugins  its plugins, bound
 * @param revision the store revision it was last modified at
 */
public record ConsumerGroup(String id, List<PluginBinding<?>> plugins, long revision) {
}
