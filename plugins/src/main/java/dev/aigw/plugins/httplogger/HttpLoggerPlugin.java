package dev.aigw.plugins.httplogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.BatchProcessor;
import dev.aigw.gateway.log.BatchProcessorBacklog;
import dev.aigw.gateway.log.BatchProcessorConfig;
import dev.aigw.gateway.log.BatchProcessorManager;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * APISIX's {@code http-logger} (priority 410): in the log phase builds one entry per request (see
 * {@link LoggerEntries}) and pushes it to a batch processor per (route, configuration); a batch is
 * POSTed to {@code uri} — one JSON object when {@code batch_max_size} is 1, else a JSON array
 * ({@code concat_method: json}, {@code Content-Type: application/json}) or one JSON object per line
 * ({@code new_line}, {@code text/plain}) — with {@code auth_header} as {@code Authorization}, within
 * {@code timeout} seconds. A status of 400 or more, or no answer, fails the batch, which is retried per
 * {@code max_retry_count}; past the backlog cap entries are dropped and counted. Requests are never
 * slowed by the sink: sending happens on the batch processor's timers over one shared client pool.
 */
public final class HttpLoggerPlugin implements Plugin<HttpLoggerPlugin.Config> {

    public static final String NAME = "http-logger";
    static final String BATCH_NAME = "http logger";

    /** Parsed configuration. {@code authHeader} is a secret: never logged. */
    public record Config(URI uri, String authHeader, int timeoutSec, boolean newLine, boolean sslVerify,
                         LoggerEntries.Options entry, BatchProcessorConfig batch) {
        @Override
        public String toString() {
            return "http-logger[" + uri + "]";
        }
    }

    private record ProcessorKey(String routeId, Config conf) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ProcessorKey k && k.conf == conf && k.routeId.equals(routeId);
        }

        @Override
        public int hashCode() {
            return routeId.hashCode() * 31 + System.identityHashCode(conf);
        }
    }

    private static final String SCHEMA = BatchProcessorConfig.wrapSchema(new JsonObject("""
            {
              "type": "object",
              "properties": {
                "uri": {"type": "string", "pattern": "^[^\\\\/]+:\\\\/\\\\/([\\\\da-zA-Z.-]+|\\\\[[\\\\da-fA-F:]+\\\\])(:\\\\d+)?"},
                "auth_header": {"type": "string"},
                "timeout": {"type": "integer", "minimum": 1, "default": 3},
                "concat_method": {"type": "string", "default": "json", "enum": ["json", "new_line"]},
                "ssl_verify": {"type": "boolean", "default": false},
            %s
              },
              "required": ["uri"]
            }
            """.formatted(LoggerEntries.PROPERTIES)), BATCH_NAME).encode();

    private volatile LoggerEntries entries;
    private volatile BatchProcessorManager<Object> processors;
    private volatile HttpClient client;
    private volatile HttpClient verifyingClient;
    private PluginEnv env;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 410;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public String metadataSchema() {
        return BatchProcessorConfig.wrapMetadataSchema(new JsonObject(LoggerEntries.METADATA_SCHEMA)).encode();
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.entries = new LoggerEntries(NAME, env, "0.1.0");
        this.processors = new BatchProcessorManager<>(env.vertx(), new BatchProcessorBacklog(BATCH_NAME, () -> {
            JsonObject meta = env.pluginMetadata(NAME);
            Integer v = meta == null ? null : meta.getInteger("max_pending_entries");
            return v == null ? BatchProcessorBacklog.DEFAULT_MAX_PENDING_ENTRIES : v;
        }));
        env.metrics().capOverflows(NAME + ".backlog", processors::dropped);
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        URI uri;
        try {
            uri = URI.create(conf.getString("uri"));
        } catch (IllegalArgumentException e) {
            throw new PluginConfigException("invalid uri: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new PluginConfigException("uri: only http and https are supported");
        }
        return new Config(uri, conf.getString("auth_header"), conf.getInteger("timeout", 3),
                "new_line".equals(conf.getString("concat_method", "json")), conf.getBoolean("ssl_verify", false),
                LoggerEntries.Options.parse(conf), BatchProcessorConfig.from(conf, BATCH_NAME));
    }

    @Override
    public void release(Config conf) {
        BatchProcessorManager<Object> m = processors;
        if (m != null) {
            m.release(k -> k instanceof ProcessorKey pk && pk.conf == conf);
        }
    }

    @Override
    public Future<Void> access(Config conf, RequestContext ctx) {
        return entries.access(conf.entry(), ctx);
    }

    @Override
    public Buffer bodyFilter(Config conf, RequestContext ctx, Buffer chunk, boolean last) {
        return entries.bodyFilter(conf.entry(), ctx, chunk, last);
    }

    @Override
    public void log(Config conf, RequestContext ctx) {
        BatchProcessorManager<Object> m = processors;
        if (m == null) {
            return;
        }
        String entry = entries.entry(conf.entry(), ctx);
        String routeId = ctx.route() == null ? "" : ctx.route().id();
        m.push(new ProcessorKey(routeId, conf), conf.batch(), () -> (batch, max) -> send(conf, batch, max), entry,
                entry.length());
    }

    /**
     * APISIX's encoding: a single object when batch_max_size is 1, else an array or one object per
     * line. Entries are JSON text ({@link LoggerEntries#entry}), joined as they are.
     */
    static String encode(List<Object> batch, int batchMaxSize, boolean newLine) {
        if (batchMaxSize == 1 && batch.size() == 1) {
            return text(batch.get(0));
        }
        int size = 2;
        for (Object e : batch) {
            size += (e instanceof String s ? s.length() : 256) + 1;
        }
        StringBuilder sb = new StringBuilder(size);
        if (!newLine) {
            sb.append('[');
        }
        for (int i = 0; i < batch.size(); i++) {
            if (i > 0) {
                sb.append(newLine ? '\n' : ',');
            }
            sb.append(text(batch.get(i)));
        }
        return newLine ? sb.toString() : sb.append(']').toString();
    }

    private static String text(Object entry) {
        return entry instanceof JsonObject j ? j.encode() : String.valueOf(entry);
    }

    private HttpClient client(boolean verify) {
        HttpClient c = verify ? verifyingClient : client;
        if (c == null) {
            synchronized (this) {
                c = verify ? verifyingClient : client;
                if (c == null) {
                    HttpClientOptions o = new HttpClientOptions().setKeepAlive(true);
                    if (!verify) {
                        o.setTrustAll(true).setVerifyHost(false);
                    }
                    c = env.vertx().httpClientBuilder().with(o).with(new PoolOptions().setHttp1MaxSize(8)).build();
                    if (verify) {
                        verifyingClient = c;
                    } else {
                        client = c;
                    }
                }
            }
        }
        return c;
    }

    private Future<Void> send(Config conf, List<Object> batch, int batchMaxSize) {
        URI u = conf.uri();
        boolean tls = "https".equals(u.getScheme());
        int port = u.getPort() > 0 ? u.getPort() : tls ? 443 : 80;
        String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost(u.getHost()).setPort(port)
                .setSsl(tls).setURI(path).setConnectTimeout(conf.timeoutSec() * 1000L)
                .setIdleTimeout(conf.timeoutSec() * 1000L)
                .putHeader(HttpHeaders.CONTENT_TYPE, conf.newLine() ? "text/plain" : "application/json");
        if (conf.authHeader() != null) {
            ro.putHeader(HttpHeaders.AUTHORIZATION, conf.authHeader());
        }
        String body = encode(batch, batchMaxSize, conf.newLine());
        return client(conf.sslVerify()).request(ro)
                .recover(err -> Future.failedFuture("failed to connect to host[" + u.getHost() + "] port[" + port
                        + "] " + err.getMessage()))
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().compose(b -> resp.statusCode() >= 400
                        ? Future.failedFuture("server returned status code[" + resp.statusCode() + "] host["
                                + u.getHost() + "] port[" + port + "] body[" + b + "]")
                        : Future.<Void>succeededFuture()));
    }

    @Override
    public Future<Void> close() {
        BatchProcessorManager<Object> m = processors;
        Future<Void> f = m == null ? Future.succeededFuture() : m.close();
        return f.eventually(() -> {
            List<Future<Void>> closing = new ArrayList<>();
            if (client != null) {
                closing.add(client.close());
            }
            if (verifyingClient != null) {
                closing.add(verifyingClient.close());
            }
            return Future.all(closing).mapEmpty();
        });
    }
}
