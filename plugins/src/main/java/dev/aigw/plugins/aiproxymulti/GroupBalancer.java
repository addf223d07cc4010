package dev.aigw.plugins.aiproxymulti;

/**
 * Chooses one member of a priority group. {@code eligible[i]} says whether member {@code i} may be
 * chosen for this attempt (healthy, positive weight, not yet tried by this request).
 * Implementations are shared by all event loops of a route and thread-safe.
 */
sealed interface GroupBalancer permits SmoothWeightedRoundRobin, ConsistentHashRing {

    /**
     * @param hashKey the request's hash key (consistent hashing), ignored by round robin
     * @return the chosen member's index, or -1 when none is eligible
     */
    int pick(boolean[] eligible, String hashKey);
}
