package dev.aigw.admin;

import dev.aigw.gateway.conf.AdminKey;
import dev.aigw.gateway.conf.HttpTimeouts;
import dev.aigw.gateway.net.Cidr;

import java.util.List;

/**
 * Where and how the Admin API listens.
 *
 * @param host         address to bind ({@code deployment.admin.admin_listen.ip})
 * @param port         port to bind, 0 for any free port ({@code admin_listen.port}, 9180 by default)
 * @param keys         accepted admin keys; an empty list disables authentication, as APISIX does when
 *                     {@code admin_key} is absent
 * @param allowAdmin   client addresses allowed to call the API ({@code deployment.admin.allow_admin});
 *                     {@code null} allows every address, an empty list allows none (APISIX's nginx
 *                     {@code deny all}); APISIX's shipped default is {@code 127.0.0.0/24}
 * @param maxBodyBytes largest accepted request body; larger bodies get 400 {@code invalid request body}
 * @param timeouts     {@code nginx_config.http.client_header_timeout} / {@code keepalive_timeout}, as on the data plane
 */
public record AdminOptions(String host, int port, List<AdminKey> keys, List<Cidr> allowAdmin, long maxBodyBytes,
                           HttpTimeouts timeouts) {

    /** 1 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    public AdminOptions {
        host = host == null ? "0.0.0.0" : host;
        keys = keys == null ? List.of() : List.copyOf(keys);
        allowAdmin = allowAdmin == null ? null : List.copyOf(allowAdmin);
        maxBodyBytes = maxBodyBytes <= 0 ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
        timeouts = timeouts == null ? HttpTimeouts.DEFAULTS : timeouts;
    }

    /** Options with the default timeouts. */
    public AdminOptions(String host, int port, List<AdminKey> keys, List<Cidr> allowAdmin, long maxBodyBytes) {
        this(host, port, keys, allowAdmin, maxBodyBytes, HttpTimeouts.DEFAULTS);
    }

    /** Options with the default body limit and timeouts. */
    public AdminOptions(String host, int port, List<AdminKey> keys, List<Cidr> allowAdmin) {
        this(host, port, keys, allowAdmin, DEFAULT_MAX_BODY_BYTES, HttpTimeouts.DEFAULTS);
    }

    @Override
    public String toString() {
        // keys are summarised by name only: this record may end up in a log line
        return "AdminOptions[host=" + host + ", port=" + port + ", keys=" + keys + ", allowAdmin=" + allowAdmin
                + ", maxBodyBytes=" + maxBodyBytes + ", timeouts=" + timeouts + "]";
    }
}
