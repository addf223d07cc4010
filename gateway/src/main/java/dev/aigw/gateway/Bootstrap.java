package dev.aigw.gateway;

import dev.aigw.gateway.conf.ConfigException;
import dev.aigw.gateway.conf.GatewayConfig;
import dev.aigw.gateway.conf.Listen;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.context.BodyBudget;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.AccessLogWriter;
import dev.aigw.gateway.log.LogEntry;
import dev.aigw.gateway.log.RequestLogSink;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.stats.TrafficStats;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.resource.SharedResources;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.resource.DataEncryption;
import dev.aigw.gateway.resource.EncryptedFields;
import dev.aigw.gateway.route.RouteTable;
import dev.aigw.gateway.route.RouteTableBuilder;
import dev.aigw.gateway.route.RuntimeConfigHolder;
import dev.aigw.gateway.schema.ResourceSchemas;
import dev.aigw.gateway.server.GatewayServer;
import dev.aigw.gateway.server.ServerStats;
import dev.aigw.gateway.spi.GatewayExtension;
import dev.aigw.gateway.spi.GatewayServices;
import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.ConfigStores;
import dev.aigw.gateway.store.ConfigWatcher;
import dev.aigw.gateway.upstream.Upstreams;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
    /** Only reading the store for the migration check: plugins must open no port. */
    private final boolean checkOnly;
    private final Vertx vertx;
    private final VariableRegistry variables = new VariableRegistry();
    private final CoreVariables coreVariables;
    private final BodyBudget bodyBudget;
    /** Redis clients and other resources shared by equal plugin configurations. */
    private final SharedResources shared = new SharedResources();
    private final PluginRegistry plugins;
    private final ConfigStore store;
    private final Upstreams upstreams;
    private final TrafficStats trafficStats;
    private final RouteTableBuilder builder;
    private final RuntimeConfigHolder holder;
    private final EncryptedFields secrets;
    private final AccessLogWriter accessLog;
    private final GatewayServer server;
    private final List<GatewayExtension> extensions = new ArrayList<>();
    private final MetricsRegistry metrics;
    private volatile ConfigWatcher watcher;
    private long metricsTimer = -1;
    /** Result of the last etcd probe before a scrape: 1 reachable, 0 not. */
    private volatile int etcdReachable = 1;

    private Bootstrap(GatewayConfig config, boolean checkOnly) {
        this.config = config;
        this.checkOnly = checkOnly;
        this.vertx = Vertx.vertx(new VertxOptions()
                .setPreferNativeTransport(true)
                // Vert.x's default (two per core), or more when worker_processes asks for more
                .setEventLoopPoolSize(Math.max(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, config.workerProcesses()))
                // etcd/file/Kafka work runs on workers; keep the pool small and bounded
                .setWorkerPoolSize(8));
        this.coreVariables = CoreVariables.register(variables);
        this.plugins = PluginRegistry.load(config.plugins(), Bootstrap.class.getClassLoader());
        this.store = checkOnly && !config.usesEtcd() ? snapshotOfBuiltInStore(vertx, config) : ConfigStores.create(vertx, config);
        // the migration check builds upstreams only to validate them: it must not probe anyone's nodes
        this.upstreams = new Upstreams(vertx, Upstreams.DEFAULT_SHUTDOWN_GRACE_MS, !checkOnly);
        ResourceSchemas schemas = ResourceSchemas.load();
        this.secrets = new EncryptedFields(dataEncryption(config.raw()), plugins);
        this.builder = new RouteTableBuilder(store.prefix(), plugins, upstreams::get,
                (kind, doc) -> kind.validate(schemas, doc), upstreams::retainOnly, secrets);
        this.holder = new RuntimeConfigHolder(vertx, builder);
        this.accessLog = AccessLogWriter.create(config.raw(), config.prefix());
        List<RequestLogSink> sinks = new ArrayList<>();
        if (accessLog != null) {
            sinks.add(accessLog);
        }
        // the dashboard's statistics: kept only where the Admin API (which serves the dashboard) runs
        this.trafficStats = config.enableAdmin() ? new TrafficStats() : null;
        if (trafficStats != null) {
            sinks.add(trafficStats);
        }
        this.bodyBudget = new BodyBudget(config.requestBodyBufferBudget());
        this.server = new GatewayServer(vertx, holder, variables, sinks, config.clientMaxBodySize(),
                bodyBudget, config.maxPostArgsReadableSize())
                .webSocketMaxMessageSize(config.webSocketMaxMessageSize())
                .eventLoops(config.workerProcesses());
        this.metrics = createMetrics();
    }

    /**
     * The metrics registry with the gauges the core owns (APISIX's names): connection states,
     * requests, node info and, with etcd, reachability and modify indexes. Their values are read at
     * scrape time; nothing is recorded per request here.
     */
    private MetricsRegistry createMetrics() {
        JsonObject attr = config.pluginAttr("prometheus");
        MetricsRegistry m = new MetricsRegistry(attr.getString("metric_prefix", "apisix_"), (int) Math.min(Integer.MAX_VALUE,
                GatewayConfig.pluginAttrInteger(attr, "prometheus", "max_series", MetricsRegistry.DEFAULT_MAX_SERIES, 1)));
        String p = m.prefix();
        ServerStats st = server.stats();
        GaugeWithCallback.builder().name(p + "nginx_http_current_connections").help("Number of HTTP connections")
                .labelNames("state")
                .callback(cb -> {
                    cb.call(st.active(), "active");
                    cb.call(st.accepted(), "accepted");
                    cb.call(st.handled(), "handled");
                    cb.call(st.reading(), "reading");
                    cb.call(st.writing(), "writing");
                    cb.call(st.waiting(), "waiting");
                }).register(m.prometheus());
        GaugeWithCallback.builder().name(p + "http_requests_total")
                .help("The total number of client requests since APISIX started")
                .callback(cb -> cb.call(st.requests())).register(m.prometheus());
        // APISIX's upstream_status: 1 healthy, 0 unhealthy, per node of each checked upstream in use
        GaugeWithCallback.builder().name(p + "upstream_status").help("Upstream status from health check")
                .labelNames("name", "ip", "port")
                .callback(cb -> {
                    for (Object u : upstreams.healthcheck()) {
                        JsonObject up = (JsonObject) u;
                        for (Object n : up.getJsonArray("nodes")) {
                            JsonObject node = (JsonObject) n;
                            cb.call("healthy".equals(node.getString("status")) ? 1 : 0, up.getString("name"),
                                    node.getString("ip"), String.valueOf(node.getInteger("port")));
                        }
                    }
                }).register(m.prometheus());
        String version = Bootstrap.class.getPackage().getImplementationVersion();
        String host = hostname();
        String ver = version == null ? "0.1.0" : version;
        GaugeWithCallback.builder().name(p + "node_info").help("Info of APISIX node").labelNames("hostname", "version")
                .callback(cb -> cb.call(1, host, ver)).register(m.prometheus());
        if (config.usesEtcd()) {
            GaugeWithCallback.builder().name(p + "etcd_reachable")
                    .help("Config server etcd reachable from APISIX, 0 is unreachable")
                    .callback(cb -> cb.call(etcdReachable)).register(m.prometheus());
            GaugeWithCallback.builder().name(p + "etcd_modify_indexes").help("Etcd modify index for APISIX keys")
                    .labelNames("key")
                    .callback(cb -> {
                        long rev = holder.get().revision();
                        ConfigWatcher w = watcher;
                        if (w != null) {
                            w.modifyIndexes().forEach((kind, index) -> cb.call(index, kind));
                        }
                        cb.call(rev, "max_modify_index");
                        cb.call(rev, "x_etcd_index");
                    }).register(m.prometheus());
            m.beforeScrape(this::probeStore);
        }
        // the core's caps (the plugins add theirs in init); README lists what each one counts
        if (accessLog != null) {
            m.capOverflows("access_log.queue", accessLog::dropped);
        }
        m.capOverflows("request_body.budget", bodyBudget::rejected);
        m.capOverflows("log_entry.header_names", LogEntry::headerNamesUncached);
        m.capOverflows("post_arg.paths", coreVariables::postArgPathsUncached);
        m.capOverflows("consumers.merges", Consumers::uncachedMerges);
        return m;
    }

    private static String hostname() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** As APISIX before each scrape: one read from the config store, bounded to 3 s, sets etcd_reachable. */
    private Future<Void> probeStore() {
        Promise<Void> done = Promise.promise();
        long timer = vertx.setTimer(3000, id -> {
            etcdReachable = 0;
            done.tryComplete();
        });
        store.get(store.prefix() + "/phantomkey").onComplete(ar -> {
            vertx.cancelTimer(timer);
            etcdReachable = ar.succeeded() ? 1 : 0;
            done.tryComplete();
        });
        return done.future();
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
            b = new Bootstrap(config, false);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return b.startAll().map(v -> b).recover(err -> b.stop(0).transform(ignored -> Future.failedFuture(err)));
    }

    /**
     * What the migration check found: how many resources the store holds and, for each one the data
     * plane cannot load as it is, its key and the reason (in key order).
     */
    public record StoreCheck(int resources, java.util.SortedMap<String, String> problems) {
    }

    /**
     * The migration check ({@code aigw check}): reads every resource of the configured store once and
     * builds it with the very builder, schemas and plugin registry the data plane uses, so it reports
     * exactly what a started gateway would refuse. Opens no port; everything it opened is closed
     * when it returns. Blocks (it closes its own Vert.x instance): call it from a plain thread.
     */
    public static StoreCheck check(GatewayConfig config, long timeoutMs) throws Exception {
        Bootstrap b = new Bootstrap(config, true);
        try {
            PluginEnv env = b.new Env();
            for (Plugin<?> p : b.plugins.all()) {
                p.init(env);
            }
            Future<StoreCheck> result = b.store.load().compose(snap -> b.vertx.executeBlocking(() -> {
                b.builder.build(snap);
                int n = 0;
                for (String key : snap.entries().keySet()) {
                    // directory markers such as "/apisix/routes" are not resources
                    String rest = key.startsWith(b.store.prefix() + "/") ? key.substring(b.store.prefix().length() + 1) : "";
                    int slash = rest.indexOf('/');
                    if (slash > 0 && slash < rest.length() - 1 && !rest.startsWith("data_plane/")) {
                        n++;
                    }
                }
                return new StoreCheck(n, new java.util.TreeMap<>(b.builder.problems()));
            }));
            return result.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
        } finally {
            b.stop(0).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
            b.closeVertx();
        }
    }

    /**
     * The built-in store as a private copy in a temporary directory: opening the live file would
     * let this process trim or fold the journal a running gateway is appending to. A change being
     * written while the copy is taken may be missed; running the check again sees it.
     */
    private static ConfigStore snapshotOfBuiltInStore(Vertx vertx, GatewayConfig config) {
        try {
            Path file = config.prefix().resolve(dev.aigw.gateway.store.LocalStore.FILE);
            Path tmp = java.nio.file.Files.createTempDirectory("aigw-check-");
            Path copy = tmp.resolve(dev.aigw.gateway.store.LocalStore.FILE);
            java.nio.file.Files.createDirectories(copy.getParent());
            for (String name : List.of(file.getFileName().toString(), file.getFileName() + ".journal")) {
                Path from = file.resolveSibling(name);
                if (java.nio.file.Files.exists(from)) {
                    java.nio.file.Files.copy(from, copy.resolveSibling(name));
                }
            }
            tmp.toFile().deleteOnExit();
            copy.getParent().toFile().deleteOnExit();
            copy.toFile().deleteOnExit();
            copy.resolveSibling(copy.getFileName() + ".journal").toFile().deleteOnExit();
            return new dev.aigw.gateway.store.LocalStore(vertx, tmp, config.etcd().prefix());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the built-in store: " + e.getMessage(), e);
        }
    }

    private Future<Void> startAll() {
        for (String w : config.warnings()) {
            LOG.warn("{}", w);
        }
        for (String w : StartupWarnings.adminExposure(config)) {
            LOG.warn("{}", w);
        }
        PluginEnv env = new Env();
        for (Plugin<?> p : plugins.all()) {
            try {
                p.init(env);
            } catch (ConfigException e) {
                return Future.failedFuture(e); // a plugin's bad plugin_attr: one message, like a bad config file
            } catch (RuntimeException e) {
                return Future.failedFuture(new IllegalStateException("plugin " + p.name() + " failed to start: " + e, e));
            }
        }
        // label sets of metrics with an `expire` are swept once a second
        metricsTimer = vertx.setPeriodic(1000, id -> metrics.tick(System.currentTimeMillis()));
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
            all.add(server.listen(l, config.httpTimeouts()));
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
        if (metricsTimer >= 0) {
            vertx.cancelTimer(metricsTimer);
        }
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
                .compose(v -> {
                    shared.closeAll();
                    return Future.<Void>succeededFuture();
                })
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
            JsonObject raw = config.raw();
            if (checkOnly) {
                // the check must not take (or fight over) the prometheus export port of a running gateway
                JsonObject prometheus = GatewayConfig.pluginAttr(raw, "prometheus").put("enable_export_server", false);
                raw.put("plugin_attr", raw.getJsonObject("plugin_attr", new JsonObject()).put("prometheus", prometheus));
            }
            return raw;
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

        @Override
        public MetricsRegistry metrics() {
            return metrics;
        }

        @Override
        public SharedResources shared() {
            return shared;
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
        public MetricsRegistry metrics() {
            return metrics;
        }

        @Override
        public TrafficStats trafficStats() {
            return trafficStats;
        }

        @Override
        public String checkVars(JsonArray vars) {
            return dev.aigw.gateway.route.match.VarsExpr.validate(vars);
        }

        @Override
        public java.util.SortedMap<String, String> loadProblems() {
            return builder.problems();
        }

        @Override
        public JsonArray upstreamHealth() {
            return upstreams.healthcheck();
        }

        @Override
        public int upstreamProbers() {
            return upstreams.probers();
        }

        @Override
        public Future<Boolean> awaitApplied(long revision, long timeoutMs) {
            return holder.awaitApplied(revision, timeoutMs);
        }

        @Override
        public EncryptedFields encryptedFields() {
            return secrets;
        }
    }
}
