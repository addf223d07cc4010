package dev.aigw.plugins.aiproxymulti;

import java.util.List;

/**
 * The instances that share one {@code priority}, with the balancer that chooses among them.
 *
 * @param priority the group's priority (groups are kept higher first)
 * @param members  the instances, in configuration order
 * @param balancer chooses a member
 */
record PriorityGroup(int priority, List<MultiInstance> members, GroupBalancer balancer) {
}
