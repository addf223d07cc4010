package dev.aigw.t.foundation;

/** {@link ChurnCases} on the etcd store (a real etcd process). */
class ChurnEtcdTest extends ChurnCases {
    @Override
    boolean useEtcd() {
        return true;
    }
}
