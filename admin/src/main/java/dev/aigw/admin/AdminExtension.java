package dev.aigw.admin;

import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.spi.GatewayExtension;
import dev.aigw.gateway.spi.GatewayServices;
import io.vertx.core.Future;

import java.util.List;

/** Starts the Admin API with the gateway (found through {@code META-INF/services}). */
public final class AdminExtension implements GatewayExtension {

    /** How long a write waits for this node's data plane to apply it before it is answered anyway. */
    static final long VISIBLE_WRITE_TIMEOUT_MS = 2_000;

    private AdminServer server;

    @Override
    public String name() {
        return "admin-api";
    }

    @Override
    public Future<Void> start(GatewayServices services) {
        GatewayConfig cfg = services.config();
        AdminOptions opts = new AdminOptions(
                cfg.adminListen().ip(),
                cfg.adminListen().port(),
                cfg.adminKeyRequired() ? cfg.adminKeys() : List.of(),
                // aigw's config: an empty allow_admin list allows any client (AdminOptions: null)
                cfg.allowAdmin().isEmpty() ? null : cfg.allowAdmin(),
                AdminOptions.DEFAULT_MAX_BODY_BYTES,
                cfg.httpTimeouts());
        // a write is answered once this node routes by it (bounded wait): the next request sees it
        VisibleWrites store = new VisibleWrites(services.store(), services::awaitApplied, VISIBLE_WRITE_TIMEOUT_MS);
        return AdminServer.start(services.vertx(), opts, store, services.plugins(), new AdminChecks() {
                    @Override
                    public String checkVars(io.vertx.core.json.JsonArray vars) {
                        return services.checkVars(vars);
                    }

                    @Override
                    public java.util.SortedMap<String, String> loadProblems() {
                        return services.loadProblems();
                    }

                    @Override
                    public io.vertx.core.json.JsonArray upstreamHealth() {
                        return services.upstreamHealth();
                    }

                    @Override
                    public int upstreamProbers() {
                        return services.upstreamProbers();
                    }
                }, services.encryptedFields(), services.trafficStats(), cfg.usesEtcd() ? "etcd" : "built-in",
                        services.metrics())
                .onSuccess(s -> server = s)
                .mapEmpty();
    }

    @Override
    public Future<Void> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
