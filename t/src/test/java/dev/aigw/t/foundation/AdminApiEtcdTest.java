package dev.aigw.t.foundation;

/** {@link AdminApiCases} on the etcd store (a real etcd process). */
class AdminApiEtcdTest extends AdminApiCases {
    @Override
    boolean useEtcd() {
        return true;
    }
}
