package dev.aigw.gateway.consumer;

import dev.aigw.gateway.plugin.PluginBinding;

import java.util.List;

/**
 * A caller as an auth plugin identifies it: a consumer ({@code /apisix/consumers/<username>}) or a
 * consumer through one of its credentials ({@code …/<username>/credentials/<id>}), which APISIX
 * treats as a copy of the consumer with a {@code credential_id}.
 *
 * @param username     the consumer's username ({@code $consumer_name})
 * @param credentialId the credential's id when identified through one, else null
 * @param groupId      the consumer's {@code group_id}, or null ({@code $consumer_group_id})
 * @param group        the group, or null (also when {@code groupId} names a group that does not exist)
 * @param customId     {@code labels.custom_id}, or null
 * @param plugins      the consumer's own plugins, bound (auth plugins' consumer configurations excluded)
 * @param revision     the store revision of the consumer (or credential) entry
 */
public record Consumer(String username, String credentialId, String groupId, ConsumerGroup group,
                       String customId, List<PluginBinding<?>> plugins, long revision) {

    /** True when there are consumer or group plugins to merge over a route's. */
    public boolean hasPlugins() {
        return !plugins.isEmpty() || (group != null && !group.plugins().isEmpty());
    }
}
