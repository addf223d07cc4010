package dev.aigw.admin;

import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.spi.GatewayExtension;
import dev.aigw.gateway.spi.GatewayServices;
import io.vertx.core.Future;

import java.util.List;

/** Starts the Admin API with the gateway (found through {@code META-INF/services}). */
public final class AdminExtension implements GatewayExtension {

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
                cfg.allowAdmin().isEmpty() ? null : cfg.allowAdmin());
        return AdminServer.start(services.vertx(), opts, services.store(), services.plugins(), new AdminChecks() {
                    @Override
                    public String checkVars(io.vertx.core.json.JsonArray vars) {
                        return services.checkVars(vars);
                    }
                }, services.encryptedFields())
                .onSuccess(s -> server = s)
                .mapEmpty();
    }

    @Override
    public Future<Void> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
