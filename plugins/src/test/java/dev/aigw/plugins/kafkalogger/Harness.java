package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.route.Route;
import dev.aigw.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A tiny request pipeline around the kafka-logger plugin: a Vert.x server that, per request, builds
 * a {@link RequestContext} on route {@code r1} with the plugin bound, runs its access phase, answers
 * "hello world" through the body filters, then marks the request finished and runs the log phase.
 */
final class Harness implements AutoCloseable {

    final Vertx vertx;
    final KafkaLoggerPlugin plugin = new KafkaLoggerPlugin();
    final PluginRegistry registry = PluginRegistry.of(List.of(plugin), null);
    final VariableRegistry variables = new VariableRegistry();
    final AtomicReference<JsonObject> metadata = new AtomicReference<>();
    final AtomicReference<Consumer<RequestContext>> beforeAnswer = new AtomicReference<>(c -> { });
    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private volatile PluginBinding<?> binding;
    final int port;

    Harness(Vertx vertx) throws Exception {
        this.vertx = vertx;
        // the few core variables the tests use (the gateway's own registry provides them all)
        variables.register("remote_addr", c -> c.request().remoteAddress().hostAddress());
        variables.register("request_method", c -> c.request().method().name());
        variables.register("uri", c -> c.request().path());
        variables.registerPrefix("arg_", (c, name) -> c.request().getParam(name));
        variables.registerPrefix("http_", (c, name) -> c.request().getHeader(name.replace('_', '-')));
        plugin.init(new PluginEnv() {
            @Override
            public Vertx vertx() {
                return vertx;
            }

            @Override
            public JsonObject config() {
                return new JsonObject();
            }

            @Override
            public VariableRegistry variables() {
                return variables;
            }

            @Override
            public Path prefix() {
                return Path.of(".");
            }

            @Override
            public JsonObject pluginMetadata(String pluginName) {
                return "kafka-logger".equals(pluginName) ? metadata.get() : null;
            }
        });
        server = vertx.createHttpServer().requestHandler(req -> {
            PluginBinding<?> b = binding;
            RequestContext ctx = new RequestContext(vertx, req, variables, 1 << 20);
            Route route = new Route("r1", null, new JsonObject().put("id", "r1"), List.of(b), null, 1);
            ctx.route(route, List.of(b));
            ctx.response().endHandler(v -> {
                ctx.markFinished(ctx.response().getStatusCode());
                b.log(ctx);
            });
            b.access(ctx).onComplete(ar -> {
                if (ar.failed()) {
                    ctx.exitError(500, ar.cause().toString());
                } else {
                    beforeAnswer.get().accept(ctx);
                    ctx.response().putHeader("content-type", "text/plain");
                    ctx.sendHead(200);
                    ctx.end(Buffer.buffer("hello world"));
                }
            });
        });
        port = Ports.free();
        server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    /** Validates and binds a configuration, as the route builder does. */
    PluginBinding<?> bind(JsonObject conf) throws Exception {
        PluginBinding<?> b = registry.bind("kafka-logger", conf);
        binding = b;
        return b;
    }

    HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        return send("GET", pathAndQuery, null, headers);
    }

    HttpResponse<String> send(String method, String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            rb.header(headers[i], headers[i + 1]);
        }
        return http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String topic() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static JsonObject conf(String bootstrap, String topic) {
        String[] hp = bootstrap.split(":");
        return new JsonObject()
                .put("brokers", new io.vertx.core.json.JsonArray().add(new JsonObject()
                        .put("host", hp[0]).put("port", Integer.parseInt(hp[1]))))
                .put("kafka_topic", topic)
                .put("batch_max_size", 1);
    }

    /** Reads records from the beginning of a topic until {@code n} arrived or the timeout passed. */
    static List<ConsumerRecord<String, String>> consume(String bootstrap, String topic, int n, Duration timeout,
                                                         Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.putAll(extra);
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static List<ConsumerRecord<String, String>> consume(String bootstrap, String topic, int n) {
        return consume(bootstrap, topic, n, Duration.ofSeconds(30), Map.of());
    }

    @Override
    public void close() throws Exception {
        plugin.close().await(60, TimeUnit.SECONDS);
        server.close().await(10, TimeUnit.SECONDS);
    }
}
