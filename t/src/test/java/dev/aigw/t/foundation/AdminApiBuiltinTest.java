package dev.aigw.t.foundation;

/** {@link AdminApiCases} on the built-in store. */
class AdminApiBuiltinTest extends AdminApiCases {
    @Override
    boolean useEtcd() {
        return false;
    }
}
