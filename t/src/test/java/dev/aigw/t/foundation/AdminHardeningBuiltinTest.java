package dev.aigw.t.foundation;

/** {@link AdminHardeningCases} on the built-in store. */
class AdminHardeningBuiltinTest extends AdminHardeningCases {
    @Override
    boolean useEtcd() {
        return false;
    }
}
