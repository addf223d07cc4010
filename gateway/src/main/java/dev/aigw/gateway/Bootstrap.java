package dev.aigw.gateway;

import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.conf.Listen;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.AccessLogWriter;
import dev.aigw.gateway.log.RequestLogSink;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.resource.DataEncryption;
import dev.aigw.gateway.resource.EncryptedFields;
import dev.aigw.gateway.route.RouteTable;
import dev.aigw.gateway.route.RouteTableBuilder;
import dev.aigw.gateway.route.RuntimeConfigHolder;
import dev.aigw.gateway.schema.ResourceSchemas;
import dev.aigw.gateway.server.GatewayServer;
import dev.aigw.gateway.spi.GatewayExtension;
import dev.aigw.gateway.spi.GatewayServices;
import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.ConfigStores;
import dev.aigw.gateway.store.ConfigWatcher;
import dev.aigw.gateway.upstream.Upstreams;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * Wires the gateway together: configuration → store → route table → servers, and takes it apart
 * again in the reverse order. Everything the gateway holds is reachable from here; there is no
 * static mutable state.
 */
public final class Bootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(Bootstrap.class);

    private final GatewayConfig config;
    private final Vertx vertx;
    private final VariableRegistry variables = new VariableRegistry();
    private final PluginRegistry plugins;
    private final ConfigStore store;
    private final Upstreams upstreams;
    private final RouteTableBuilder builder;
    private final RuntimeConfigHolder holder;
    private final EncryptedFields secrets;
    private final AccessLogWriter accessLog;
    private final GatewayServer server;
    private final List<GatewayExtension> extensions = new ArrayList<>();
    private ConfigWatcher watcher;

    private Bootstrap(GatewayConfig config) {
        this.config = config;
        this.vertx = Vertx.vertx(new VertxOptions()
                .setPreferNativeTransport(true)
                // etcd/file/Kafka work runs on workers; keep the pool small and bounded
                .setWorkerPoolSize(8));
        CoreVariables.register(variables);
        this.plugins = PluginRegistry.load(config.plugins(), Bootstrap.class.getClassLoader());
        this.store = ConfigStores.create(vertx, config);
        this.upstreams = new Upstreams(vertx);
        ResourceSchemas schemas = ResourceSchemas.load();
        this.secrets = new EncryptedFields(dataEncryption(config.raw()), plugins);
        this.builder = new RouteTableBuilder(store.prefix(), plugins, upstreams::get,
                (kind, doc) -> kind.validate(schemas, doc), upstreams::retainOnly, secrets);
        this.holder = new RuntimeConfigHolder(vertx, builder);
        this.accessLog = AccessLogWriter.create(config.raw(), config.prefix());
        List<RequestLogSink> sinks = accessLog == null ? List.of() : List.of(accessLog);
        this.server = new GatewayServer(vertx, holder, variables, sinks, config.clientMaxBodySize());
    }

    /**
     * {@code apisix.data_encryption}: APISIX's defaults ({@code enable_encrypt_fields: true} and its
     * default keyring) unless configured otherwise, so that aigw and APISIX read each other's etcd data.
     */
    static DataEncryption dataEncryption(JsonObject raw) {
        JsonObject apisix = raw.getJsonObject("apisix", new JsonObject());
        JsonObject de = apisix.getValue("data_encryption") instanceof JsonObject o ? o : new JsonObject();
        boolean enabled = !Boolean.FALSE.equals(de.getValue("enable_encrypt_fields"));
        List<String> keyring = new ArrayList<>();
        Object ring = de.getValue("keyring");
        if (ring instanceof JsonArray arr) {
            arr.forEach(k -> keyring.add(String.valueOf(k)));
        } else if (ring instanceof String one) {
            keyring.add(one);
        } else if (!de.containsKey("keyring")) {
            keyring.addAll(DataEncryption.DEFAULT_KEYRING);
        }
        return new DataEncryption(enabled, keyring);
    }

    /** Starts everything; the future completes when both ports listen and the routes are loaded. */
    public static Future<Bootstrap> start(GatewayConfig config) {
        Bootstrap b;
        try {
            b = new Bootstrap(config);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return b.startAll().map(v -> b).recover(err -> b.stop(0).transform(ignored -> Future.failedFuture(err)));
    }

    private Future<Void> startAll() {
        PluginEnv env = new Env();
        for (Plugin<?> p : plugins.all()) {
            p.init(env);
        }
        return ConfigWatcher.start(store, holder)
                .compose(w -> {
                    watcher = w;
                    return holder.ready();
                })
                .compose(v -> listenAll())
                .compose(v -> startExtensions())
                .onSuccess(v -> {
                    LOG.info("aigw started: traffic on {}, plugins {}, {} store, {} routes", config.nodeListen(),
                            plugins.names(), config.usesEtcd() ? "etcd" : "built-in", holder.get().table().size());
                    if (config.adminKeyGenerated()) {
                        // printed once, on stdout only: never in the error log
                        System.out.println("aigw: generated Admin API key (X-API-KEY): " + config.adminKeys().get(0).key());
                    }
                });
    }

    private Future<Void> listenAll() {
        List<Future<Void>> all = new ArrayList<>();
        for (Listen l : config.nodeListen()) {
            all.add(server.listen(l.ip(), l.port()));
        }
        return Future.all(all).mapEmpty();
    }

    private Future<Void> startExtensions() {
        if (!config.enableAdmin()) {
            return Future.succeededFuture();
        }
        GatewayServices services = new Services();
        Future<Void> chain = Future.succeededFuture();
        for (GatewayExtension ext : ServiceLoader.load(GatewayExtension.class, Bootstrap.class.getClassLoader())) {
            extensions.add(ext);
            chain = chain.compose(v -> ext.start(services));
        }
        return chain;
    }

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code graceMillis}, flushes logs and
     * loggers, and closes everything. Safe to call from any non-event-loop thread.
     */
    public Future<Void> stop(long graceMillis) {
        Future<Void> chain = Future.succeededFuture();
        for (GatewayExtension ext : extensions) {
            chain = chain.compose(v -> ext.stop().recover(e -> Future.succeededFuture()));
        }
        return chain
                .compose(v -> server.shutdown(graceMillis).recover(e -> Future.succeededFuture()))
                .compose(v -> {
                    List<Future<Void>> closes = new ArrayList<>();
                    for (Plugin<?> p : plugins.all()) {
                        closes.add(p.close().recover(e -> {
                            LOG.warn("plugin {} failed to close", p.name(), e);
                            return Future.succeededFuture();
                        }));
                    }
                    return Future.join(closes).mapEmpty();
                })
                .compose(v -> vertx.executeBlocking(() -> {
                    builder.releaseAll();
                    if (accessLog != null) {
                        accessLog.close();
                    }
                    return null;
                }))
                .compose(v -> {
                    if (watcher != null) {
                        watcher.close();
                    }
                    return Future.<Void>succeededFuture();
                })
                .compose(v -> upstreams.close())
                .compose(v -> store.close())
                .recover(e -> {
                    LOG.warn("error while stopping", e);
                    return Future.succeededFuture();
                })
                .mapEmpty();
    }

    /** Closes the Vert.x instance (last step of a stop). Blocks; never call it on an event loop. */
    public void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public GatewayConfig config() {
        return config;
    }

    private final class Env implements PluginEnv {
        @Override
        public Vertx vertx() {
            return vertx;
        }

        @Override
        public JsonObject config() {
            return config.raw();
        }

        @Override
        public VariableRegistry variables() {
            return variables;
        }

        @Override
        public Path prefix() {
            return config.prefix();
        }

        @Override
        public JsonObject pluginMetadata(String pluginName) {
            return holder.get().pluginMetadata().get(pluginName);
        }
    }

    private final class Services implements GatewayServices {
        @Override
        public Vertx vertx() {
            return vertx;
        }

        @Override
        public GatewayConfig config() {
            return config;
        }

        @Override
        public ConfigStore store() {
            return store;
        }

        @Override
        public PluginRegistry plugins() {
            return plugins;
        }

        @Override
        public String checkVars(JsonArray vars) {
            return dev.aigw.gateway.route.match.VarsExpr.validate(vars);
        }

        @Override
        public EncryptedFields encryptedFields() {
            return secrets;
        }
    }
}
