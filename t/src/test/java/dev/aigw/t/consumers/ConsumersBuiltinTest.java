package dev.aigw.t.consumers;

/** {@link ConsumersCases} on the built-in store. */
class ConsumersBuiltinTest extends ConsumersCases {
    @Override
    boolean useEtcd() {
        return false;
    }
}
