package dev.aigw.t;

import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.ManagedProcess;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.RedisProcess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The fixture of the cross-node Redis tests: one mock LLM, one real Redis and several gateway
 * processes (each with its own built-in store, started in parallel), all stopped by {@link #close()}
 * with the gateways' temporary directories.
 */
public final class RedisGateways implements AutoCloseable {

    public final MockLlm llm;
    public final RedisProcess redis;
    /** The gateways, in start order; unmodifiable. */
    public final List<GatewayProcess> gateways;

    private RedisGateways(MockLlm llm, RedisProcess redis, List<GatewayProcess> gateways) {
        this.llm = llm;
        this.redis = redis;
        this.gateways = List.copyOf(gateways);
    }

    /** Starts the mock LLM, Redis and {@code count} gateways in directories named {@code <dirPrefix><random>}. */
    public static RedisGateways start(int count, String dirPrefix) throws Exception {
        MockLlm llm = new MockLlm();
        RedisProcess redis = null;
        List<CompletableFuture<GatewayProcess>> starting = new ArrayList<>();
        List<GatewayProcess> gws = new ArrayList<>();
        try {
            redis = RedisProcess.start();
            for (int i = 0; i < count; i++) {
                starting.add(CompletableFuture.supplyAsync(() -> GatewayProcess
                        .builder(ManagedProcess.tempDir(dirPrefix))
                        .startTimeout(Duration.ofSeconds(120)).config(GatewayConfig.create()).start()));
            }
            for (CompletableFuture<GatewayProcess> f : starting) {
                gws.add(f.get(150, TimeUnit.SECONDS));
            }
            return new RedisGateways(llm, redis, gws);
        } catch (Exception | Error e) {
            // a gateway that did start is not left running
            starting.forEach(f -> f.thenAccept(RedisGateways::closeGateway));
            if (redis != null) {
                redis.close();
            }
            llm.close();
            throw e;
        }
    }

    @Override
    public void close() {
        gateways.forEach(RedisGateways::closeGateway);
        redis.close();
        llm.close();
    }

    private static void closeGateway(GatewayProcess gw) {
        gw.close();
        ManagedProcess.deleteTree(gw.prefix());
    }
}
