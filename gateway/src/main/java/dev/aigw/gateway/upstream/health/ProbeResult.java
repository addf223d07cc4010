package dev.aigw.gateway.upstream.health;

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
    IGNORED
}
