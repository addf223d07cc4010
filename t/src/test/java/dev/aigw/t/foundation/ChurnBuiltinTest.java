package dev.aigw.t.foundation;

/** {@link ChurnCases} on the built-in store. */
class ChurnBuiltinTest extends ChurnCases {
    @Override
    boolean useEtcd() {
        return false;
    }
}
