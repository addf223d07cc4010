package dev.aigw.t.foundation;

/** {@link RoutingCases} on the built-in store. */
class RoutingBuiltinTest extends RoutingCases {
    @Override
    boolean useEtcd() {
        return false;
    }
}
