package dev.aigw.t.foundation;

/** {@link AdminHardeningCases} on the etcd store (a real etcd process). */
class AdminHardeningEtcdTest extends AdminHardeningCases {
    @Override
    boolean useEtcd() {
        return true;
    }
}
