package dev.aigw.t.kafka;

import dev.aigw.testkit.KafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One PLAINTEXT Kafka broker for every test class of this package: a class asks for it with
 * {@code @ExtendWith(SharedKafka.class)} and a {@link KafkaBroker} parameter (e.g. on its
 * {@code @BeforeAll}). The broker is started on first use and kept in the root context's store, so
 * JUnit closes it (by its PID, via {@link KafkaBroker#close()}) when the whole run ends.
 *
 * <p>A class that stops the broker for an outage must {@link KafkaBroker#restart()} it before it
 * ends, so later classes find it serving again.
 */
public final class SharedKafka implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedKafka.class);

    /** Closed by JUnit at the end of the run (the root store closes AutoCloseable values). */
    private record Holder(KafkaBroker broker) implements AutoCloseable {
        @Override
        public void close() {
            broker.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        return broker(ctx);
    }

    /** The shared broker, started on first call. */
    public static KafkaBroker broker(ExtensionContext ctx) {
        return ctx.getRoot().getStore(NS)
                .getOrComputeIfAbsent(Holder.class, k -> new Holder(KafkaBroker.start()), Holder.class)
                .broker();
    }
}
