package dev.aigw.plugins;

import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.RequestLogSink;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.route.RouteTable;
import dev.aigw.gateway.route.RuntimeConfig;
import dev.aigw.gateway.server.GatewayServer;
import dev.aigw.gateway.upstream.UpstreamHandler;
import dev.aigw.gateway.upstream.Upstreams;
import dev.aigw.testkit.Ports;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The gateway's own request pipeline ({@link GatewayServer}) on 127.0.0.1, for plugin tests: the
 * plugins under test, initialised as the gateway does, on routes the test adds ({@link #route});
 * no store, no Admin API, no access log. Like the gateway it has a Vert.x instance of its own. Each request goes through route matching, the rewrite,
 * access and beforeProxy phases in priority order, the upstream (the plugin's, else the route's:
 * an inline APISIX {@code upstream} or one the test provides),
 * then the log phase once the response ended (or 499 when the client left first), exactly as in
 * the real gateway. Every finished request's context is queued for {@link #nextFinished()}.
 *
 * <p>The variables are the gateway's core ones plus whatever the plugins register; the body limit
 * ({@code client_max_body_size}) is {@link #MAX_BODY_SIZE}. HTTP helpers call it from the test
 * thread with a blocking client (never from an event loop).
 */
public final class PluginPipeline implements AutoCloseable {

    /** {@code client_max_body_size} of the pipeline: 1 MiB. */
    public static final long MAX_BODY_SIZE = 1 << 20;
    /** Bound on every wait: starting, stopping, one HTTP exchange, the next finished request. */
    public static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final Vertx vertx;
    private final List<Plugin<?>> plugins;
    private final PluginRegistry registry;
    private final VariableRegistry variables = new VariableRegistry();
    private final BlockingQueue<RequestContext> finished = new LinkedBlockingQueue<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    // Guarded by this; the data plane only reads `config`, swapped whole as the gateway does.
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final Map<String, JsonObject> metadata = new HashMap<>();
    private volatile RuntimeConfig config = RuntimeConfig.EMPTY;
    private long revision;
    private final Upstreams upstreams;
    private final GatewayServer server;
    private final int port;

    /** Initialises {@code plugins} and starts listening, with no route yet. */
    public PluginPipeline(Plugin<?>... plugins) throws Exception {
        this(1, plugins);
    }

    /** As {@link #PluginPipeline(Plugin[])}, serving traffic on {@code eventLoops} event loops. */
    public PluginPipeline(int eventLoops, Plugin<?>... plugins) throws Exception {
        this.vertx = Vertx.vertx();
        this.plugins = List.of(plugins);
        this.registry = PluginRegistry.of(this.plugins, null);
        CoreVariables.register(variables);
        this.upstreams = new Upstreams(vertx);
        PluginEnv env = new Env(vertx, new JsonObject(), variables, Path.of("."),
                name -> config.pluginMetadata().get(name), new MetricsRegistry("apisix_", MetricsRegistry.DEFAULT_MAX_SERIES),
                new dev.aigw.gateway.resource.SharedResources());
        RequestLogSink queue = finished::add;
        this.server = new GatewayServer(vertx, () -> config, variables, List.of(queue), MAX_BODY_SIZE)
                .eventLoops(eventLoops);
        this.port = Ports.free();
        try {
            for (Plugin<?> p : this.plugins) {
                p.init(env);
            }
            await(server.listen("127.0.0.1", port));
        } catch (Exception | AssertionError e) {
            await(vertx.close());
            throw e;
        }
    }

    /** A pipeline with one route {@code "1"} on {@code /*} running {@code plugin} with {@code conf}. */
    public static PluginPipeline of(Plugin<?> plugin, JsonObject conf) throws Exception {
        PluginPipeline p = new PluginPipeline(plugin);
        try {
            p.route("1", "/*", plugin.name(), conf);
        } catch (Exception | AssertionError e) {
            p.close();
            throw e;
        }
        return p;
    }

    // ---------------------------------------------------------------- routes and metadata

    /**
     * Adds or replaces route {@code id} matching {@code uri} with one plugin; returns its binding.
     * The route has no upstream of its own: the plugin provides it (else the gateway answers 503).
     */
    public PluginBinding<?> route(String id, String uri, String plugin, JsonObject conf) throws Exception {
        return route(id, new JsonObject().put("uri", uri)
                .put("plugins", new JsonObject().put(plugin, conf)), null).get(0);
    }

    /**
     * Adds or replaces route {@code id}: {@code definition} is the APISIX route JSON (its matching
     * fields, {@code plugins} and an inline {@code upstream}, whose pool the pipeline keeps until it
     * closes); {@code upstream}, if not {@code null}, stands for the route's upstream instead. Each
     * plugin configuration is validated and bound as the route builder does; the bindings of a
     * replaced route are released. Returns the route's bindings, higher priority first.
     */
    public synchronized List<PluginBinding<?>> route(String id, JsonObject definition, UpstreamHandler upstream)
            throws Exception {
        if (upstream == null && definition.getValue("upstream") instanceof JsonObject u) {
            upstream = upstreams.get(u);
        }
        JsonObject pluginConfs = definition.getJsonObject("plugins", new JsonObject());
        List<PluginBinding<?>> bound = new ArrayList<>();
        try {
            for (String name : pluginConfs.fieldNames()) {
                bound.add(registry.bind(name, pluginConfs.getJsonObject(name)));
            }
        } catch (Exception e) {
            bound.forEach(PluginBinding::release);
            throw e;
        }
        bound.sort(Comparator.comparingInt((PluginBinding<?> b) -> b.priority()).reversed());
        Route route = new Route(id, definition.getString("name"), definition.copy().put("id", id),
                List.copyOf(bound), upstream, ++revision);
        if (RouteTable.build(List.of(route)).size() != 1) {
            // the table leaves out a route it cannot compile; a test wants to hear about it
            bound.forEach(PluginBinding::release);
            throw new IllegalArgumentException("route " + id + " cannot be matched: " + definition.encode());
        }
        Route old = routes.put(id, route);
        publish();
        if (old != null) {
            old.plugins().forEach(PluginBinding::release);
        }
        return List.copyOf(bound);
    }

    /** Removes route {@code id} and releases its plugins' configurations, as a route deletion does. */
    public synchronized void removeRoute(String id) {
        Route old = routes.remove(id);
        if (old == null) {
            throw new IllegalArgumentException("no route " + id);
        }
        publish();
        old.plugins().forEach(PluginBinding::release);
    }

    /** Sets (or with {@code null} removes) a plugin's metadata, as {@code /apisix/admin/plugin_metadata} does. */
    public synchronized PluginPipeline metadata(String plugin, JsonObject value) {
        if (value == null) {
            metadata.remove(plugin);
        } else {
            metadata.put(plugin, value.copy());
        }
        publish();
        return this;
    }

    private void publish() {
        config = new RuntimeConfig(RouteTable.build(List.copyOf(routes.values())), Map.copyOf(metadata), revision);
    }

    // ---------------------------------------------------------------- what the test looks at

    public Vertx vertx() {
        return vertx;
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code pathAndQuery}. */
    public String url(String pathAndQuery) {
        return "http://127.0.0.1:" + port + pathAndQuery;
    }

    /** The registry the plugins registered their variables in (with the core variables). */
    public VariableRegistry variables() {
        return variables;
    }

    /** The next finished request's context, after its log phase (waits up to {@link #TIMEOUT}). */
    public RequestContext nextFinished() throws InterruptedException {
        RequestContext c = finished.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (c == null) {
            throw new AssertionError("no request finished within " + TIMEOUT.toSeconds() + " s");
        }
        return c;
    }

    // ---------------------------------------------------------------- HTTP from the test thread

    /** The blocking HTTP/1.1 client the helpers use. */
    public HttpClient http() {
        return http;
    }

    /**
     * A request to the pipeline; {@code headers} are name/value pairs. A body is sent as is, with no
     * {@code Content-Type} unless one is given.
     */
    public HttpRequest.Builder request(String method, String pathAndQuery, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(pathAndQuery))).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    /** A POST with a JSON body: {@code Content-Type: application/json} unless {@code headers} set one. */
    public HttpRequest.Builder postRequest(String pathAndQuery, String json, String... headers) {
        HttpRequest.Builder b = request("POST", pathAndQuery, json, headers);
        boolean typed = false;
        for (int i = 0; i + 1 < headers.length; i += 2) {
            typed |= headers[i].equalsIgnoreCase("content-type");
        }
        if (!typed) {
            b.header("Content-Type", "application/json");
        }
        return b;
    }

    /** Sends {@link #request} and returns the whole answer. */
    public HttpResponse<String> send(String method, String pathAndQuery, String body, String... headers)
            throws Exception {
        return http.send(request(method, pathAndQuery, body, headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        return send("GET", pathAndQuery, null, headers);
    }

    /** Sends {@link #postRequest} and returns the whole answer. */
    public HttpResponse<String> post(String pathAndQuery, String json, String... headers) throws Exception {
        return http.send(postRequest(pathAndQuery, json, headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * As the gateway stops: stop listening, close the plugins (they flush), release the routes'
     * plugin configurations, close the upstream pools and Vert.x.
     */
    @Override
    public void close() throws Exception {
        try {
            await(server.shutdown(0));
            List<Future<Void>> closes = new ArrayList<>();
            for (Plugin<?> p : plugins) {
                closes.add(p.close());
            }
            await(Future.join(closes));
        } finally {
            synchronized (this) {
                routes.values().forEach(r -> r.plugins().forEach(PluginBinding::release));
                routes.clear();
                publish();
            }
            try {
                await(upstreams.close());
            } finally {
                await(vertx.close());
            }
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(TIMEOUT.toSeconds() * 4, TimeUnit.SECONDS);
    }

    /** What the plugins get at init, as the gateway's own environment gives it. */
    private record Env(Vertx vertx, JsonObject config, VariableRegistry variables, Path prefix,
                       Function<String, JsonObject> metadata, MetricsRegistry metrics,
                       dev.aigw.gateway.resource.SharedResources shared) implements PluginEnv {
        @Override
        public JsonObject pluginMetadata(String pluginName) {
            return metadata.apply(pluginName);
        }
    }
}
