package dev.aigw.gateway.upstream.health;

import java.util.Set;

/** What one health report says about a target (an active probe or a proxied answer). */
public enum ProbeResult {
    /** A healthy status (or a TCP connection for a tcp check). */
    SUCCESS,
    /** An unhealthy HTTP status. */
    HTTP_FAILURE,
    /** No connection could be made, or it broke. */
    TCP_FAILURE,
    /** The target did not answer in time. */
    TIMEOUT,
    /** A status in neither list: says nothing. */
    IGNORED;

    /**
     * What an HTTP status says, for active probes and proxied answers alike (lua-resty-healthcheck):
     * in the healthy list, in the unhealthy list, or neither.
     */
    static ProbeResult of(int status, Set<Integer> healthyStatuses, Set<Integer> unhealthyStatuses) {
        if (healthyStatuses.contains(status)) {
            return SUCCESS;
        }
        if (unhealthyStatuses.contains(status)) {
            return HTTP_FAILURE;
        }
        return IGNORED;
    }
}
