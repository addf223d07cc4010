package dev.aigw.gateway.conf;

import java.time.Duration;
import java.util.List;

/**
 * {@code deployment.etcd}: the endpoints ({@code http(s)://host:port}), the key prefix
 * ({@code /apisix}), the request timeout, and optional user/password (both null when unset).
 * The prefix is also the key prefix of the built-in store, so both stores share one layout.
 */
public record EtcdConf(List<String> hosts, String prefix, Duration timeout, String user, String password) {

    public EtcdConf {
        hosts = List.copyOf(hosts);
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "EtcdConf[hosts=" + hosts + ", prefix=" + prefix + ", timeout=" + timeout
                + ", user=" + user + ", password=" + (password == null ? "null" : "***") + "]";
    }
}
