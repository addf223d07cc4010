package dev.aigw.t.kafka;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.KafkaBroker;
import dev.aigw.testkit.MockLlm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the kafka-logger black-box classes share: the run's broker ({@link SharedKafka}) and a
 * gateway with its mock LLM. The extension starts a gateway of its own before each class and stops
 * it after, so the classes (run one after another) never see each other's routes.
 */
@ExtendWith(SharedKafka.class)
abstract class KafkaGatewayTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    static KafkaBroker kafka;

    @BeforeAll
    static void broker(KafkaBroker shared) {
        kafka = shared;
    }

    static GatewayProcess gw() {
        return ENV.gateway();
    }

    static MockLlm mock() {
        return ENV.mock();
    }
}
