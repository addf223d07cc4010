package dev.aigw.t;

import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.SseReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-class extension (with the stand-in gateway) and the SSE reader (against the mock). */
class GatewayExtensionTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .config(c -> c.adminKey("ext-key"))
            .launch((b, mock) -> {
                try {
                    b.mainClass(FakeGateway.class.getName(), Path.of(FakeGateway.class.getProtectionDomain()
                            .getCodeSource().getLocation().toURI()).toString());
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalStateException(e);
                }
            });

    @Test
    void gatewayAndMockAreUp() {
        assertTrue(ENV.gateway().isAlive());
        assertEquals(200, ENV.gateway().admin("GET", "/routes", null).status(), "the configured admin key is used");
        assertEquals(0, ENV.mock().count(), "the mock starts each test empty");
        ENV.mock().status(500);
    }

    @Test
    void sseReaderSeesEventsAsTheyCome() {
        ENV.mock().chunks(6).chunkDelay(Duration.ofMillis(30));
        SseReader.Result r = new SseReader().post(ENV.mock().url() + "/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"messages\":[]}", Duration.ofSeconds(10));
        assertEquals(200, r.status(), "status was reset after the other test: " + r.rawBody());
        assertEquals(9, r.events().size(), "role + 6 content + finish + [DONE]");
        assertEquals("[DONE]", r.data().get(8));
        var sent = ENV.mock().streams().get(0).sentAt();
        assertTrue(r.events().get(0).receivedAt().isBefore(sent.get(sent.size() - 1)));
    }

    @Test
    void sseReaderCanLeaveEarly() {
        ENV.mock().chunks(30).chunkDelay(Duration.ofMillis(30));
        HttpRequest req = HttpRequest.newBuilder(URI.create(ENV.mock().url() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true,\"messages\":[]}")).build();
        SseReader.Result r = new SseReader().read(req, 3);
        assertEquals(3, r.events().size());
        assertTrue(ENV.mock().awaitClientDisconnect(Duration.ofSeconds(5)), "leaving closed the connection");
        assertNotNull(ENV.mock().streams().get(0));
        assertEquals(MockLlm.Kind.CHAT, ENV.mock().lastRequest().kind());
    }
}
