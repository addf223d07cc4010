package dev.aigw.t.foundation;

import dev.aigw.testkit.EtcdProcess;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One real gateway process (on the built-in store, or on a real etcd started here), plus a
 * {@link Backend}, shared by all tests of a class. Subclasses pick the store with {@link #useEtcd()}:
 * each group of store-dependent tests is an abstract class with a built-in and an etcd subclass.
 * When a test fails, the gateway's output tail is printed and its prefix directory kept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StoreTestBase {

    protected EtcdProcess etcd;
    protected GatewayProcess gw;
    protected Backend backend;
    protected Path prefix;
    private volatile boolean failed;

    @RegisterExtension
    final TestWatcher dumpOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
            if (gw != null) {
                System.err.println("gateway output after " + context.getDisplayName() + " failed (prefix "
                        + prefix + "):\n" + gw.outputTail(60));
            }
        }
    };

    /** True: routes in a real etcd; false: the built-in store. */
    abstract boolean useEtcd();

    /** How many listeners the backend opens (tests that tell nodes apart want two). */
    int backendListeners() {
        return 1;
    }

    /** Adjusts the config before start. */
    void configure(GatewayConfig config) {
    }

    @BeforeAll
    void startEnvironment() throws IOException {
        backend = Backend.start(backendListeners());
        prefix = Files.createTempDirectory("aigw-foundation-");
        GatewayConfig config = GatewayConfig.create();
        if (useEtcd()) {
            etcd = EtcdProcess.start();
            config.etcd(etcd.endpoint());
        } else {
            config.builtinStore();
        }
        configure(config);
        gw = GatewayProcess.start(prefix, config);
    }

    @AfterAll
    void stopEnvironment() {
        try {
            if (gw != null) {
                gw.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
            if (backend != null) {
                backend.close();
            }
            if (!failed && prefix != null) {
                deleteTree(prefix);
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }

    @BeforeEach
    void resetBackend() {
        backend.reset();
    }

    /** An inline upstream to backend listener {@code i} that sends {@code Host: <tag>} (pass_host rewrite). */
    String upstream(int i, String tag) {
        return "{\"type\":\"roundrobin\",\"pass_host\":\"rewrite\",\"upstream_host\":\"" + tag
                + "\",\"nodes\":{\"" + backend.node(i) + "\":1}}";
    }

    /** PUT to the Admin API; fails unless 200 or 201. */
    HttpResult put(String path, String json) {
        HttpResult r = gw.admin("PUT", path, json);
        if (r.status() != 200 && r.status() != 201) {
            fail("PUT " + path + " " + json + " -> " + r);
        }
        return r;
    }

    /** Repeats {@code call} (bounded) until {@code ok} holds; returns the last result. */
    static HttpResult await(Supplier<HttpResult> call, Predicate<HttpResult> ok, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResult last = null;
        while (System.nanoTime() - deadline < 0) {
            last = call.get();
            if (ok.test(last)) {
                return last;
            }
            sleep(50);
        }
        fail("not within " + timeout.toSeconds() + " s: " + what + "; last answer: " + last);
        return last;
    }

    /** Waits (bounded) until {@code GET path} on the data plane is answered with {@code X-Echo-Host: tag}. */
    HttpResult awaitServedBy(String path, String tag) {
        return await(() -> gw.http("GET", path, null), r -> tag.equals(r.header("X-Echo-Host")),
                Duration.ofSeconds(20), "GET " + path + " served with Host " + tag);
    }

    static void assertContains(String haystack, String needle, String message) {
        assertTrue(haystack != null && haystack.contains(needle),
                message + ": expected to contain [" + needle + "] but was [" + haystack + "]");
    }
}
