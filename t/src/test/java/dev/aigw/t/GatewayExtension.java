package dev.aigw.t;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.MockLlm;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One gateway process and one mock LLM per test class:
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayExtension env = GatewayExtension.create().config(c -> c.plugins("ai-proxy"));
 * ... env.gateway().admin("PUT", "/routes/1", json); env.mock().status(429); ...
 * }</pre>
 * The mock is reset before each test. After the class the gateway is stopped and the mock closed;
 * if a test failed, the gateway's output tail is printed and its prefix dir kept for a look.
 */
public final class GatewayExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback,
        TestWatcher {

    private Consumer<GatewayConfig> configurer = c -> { };
    private BiConsumer<GatewayProcess.Builder, MockLlm> launcher = (b, m) -> { };
    private MockLlm mock;
    private GatewayProcess gateway;
    private Path prefix;
    private volatile boolean failed;

    private GatewayExtension() {
    }

    public static GatewayExtension create() {
        return new GatewayExtension();
    }

    /** Adjusts the config before start (ports and admin key are already set to free ones / the default). */
    public GatewayExtension config(Consumer<GatewayConfig> configurer) {
        this.configurer = configurer;
        return this;
    }

    /** Adjusts the launch (JVM args, env, timeouts, a stand-in main class); gets the mock too. */
    public GatewayExtension launch(BiConsumer<GatewayProcess.Builder, MockLlm> launcher) {
        this.launcher = launcher;
        return this;
    }

    public GatewayProcess gateway() {
        return gateway;
    }

    public MockLlm mock() {
        return mock;
    }

    public Path prefix() {
        return prefix;
    }

    @Override
    public void beforeAll(ExtensionContext ctx) throws IOException {
        failed = false; // one instance may serve several classes in turn (declared in a shared base class)
        prefix = Files.createTempDirectory("aigw-t-");
        mock = new MockLlm();
        GatewayConfig config = GatewayConfig.create();
        configurer.accept(config);
        GatewayProcess.Builder b = GatewayProcess.builder(prefix).config(config);
        launcher.accept(b, mock);
        try {
            gateway = b.start();
        } catch (RuntimeException e) {
            mock.close();
            throw e;
        }
    }

    @Override
    public void beforeEach(ExtensionContext ctx) {
        mock.reset();
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        failed |= ctx.getExecutionException().isPresent();
        try {
            if (gateway != null) {
                gateway.close();
                if (failed) {
                    System.err.println("gateway output (prefix kept at " + prefix + "):\n" + gateway.outputTail(60));
                }
            }
        } finally {
            mock.close();
            if (!failed) {
                deleteTree(prefix);
            }
        }
    }

    @Override
    public void testFailed(ExtensionContext ctx, Throwable cause) {
        failed = true;
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
