package dev.aigw.t.foundation;

/** {@link RoutingCases} on the etcd store (a real etcd process). */
class RoutingEtcdTest extends RoutingCases {
    @Override
    boolean useEtcd() {
        return true;
    }
}
