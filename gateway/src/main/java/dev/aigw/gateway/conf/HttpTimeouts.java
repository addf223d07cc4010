package dev.aigw.gateway.conf;

import java.time.Duration;

/**
 * Client-side connection timeouts shared by the data plane and the Admin API, under nginx's names
 * (APISIX's {@code nginx_config.http.*}).
 *
 * @param clientHeader {@code client_header_timeout}: how long a client may take to send a whole request
 *                     head (from the connection's start, or from the first byte of a later request on a
 *                     kept-alive connection); the connection is then closed, as nginx does
 * @param keepalive    {@code keepalive_timeout}: how long an idle kept-alive connection waits for the next
 *                     request; 0 closes the connection after each response
 */
public record HttpTimeouts(Duration clientHeader, Duration keepalive) {

    /** nginx's and APISIX's defaults: 60 s each. */
    public static final HttpTimeouts DEFAULTS = new HttpTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60));
}
