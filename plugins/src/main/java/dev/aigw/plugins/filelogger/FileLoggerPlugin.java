package dev.aigw.plugins.filelogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.AccessLogFormat;
import dev.aigw.gateway.log.AccessLogWriter;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.route.match.ContextVars;
import dev.aigw.gateway.route.match.VarsExpr;
import dev.aigw.gateway.route.match.VarsExprException;
import dev.aigw.plugins.httplogger.LoggerEntries;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * APISIX's {@code file-logger} (priority 399): in the log phase, when {@code match} holds, one JSON line
 * per request (APISIX's entry or {@code log_format}, see {@link LoggerEntries}) appended to {@code path}
 * (or the metadata's {@code path}; relative to the gateway's prefix). Lines go through a bounded queue to
 * one writer thread per file — the access log's writer — that batches writes and reopens the file when
 * it was moved or deleted (logrotate), so the event loop never touches the disk; past the queue's cap
 * lines are dropped and counted. At most {@value #MAX_FILES} distinct files.
 */
public final class FileLoggerPlugin implements Plugin<FileLoggerPlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(FileLoggerPlugin.class);
    public static final String NAME = "file-logger";
    static final int MAX_FILES = 64;

    /** Parsed configuration. */
    public record Config(String path, VarsExpr match, LoggerEntries.Options entry) {
    }

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "path": {"type": "string"},
                "match": {"type": "array", "maxItems": 20, "items": {"type": "array"}},
            %s
              }
            }
            """.formatted(LoggerEntries.PROPERTIES);

    private static final String METADATA_SCHEMA = """
            {"type": "object", "properties": {"path": {"type": "string"}, "log_format": {"type": "object"},
             "log_format_extra": {"type": "object"}}}""";

    private final Map<Path, AccessLogWriter> writers = new ConcurrentHashMap<>();
    /** The writers by configured path text, as the routes spell them. */
    private final Map<String, AccessLogWriter> byPath = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private volatile PluginEnv env;
    private volatile LoggerEntries entries;
    private volatile AccessLogFormat unused;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 399;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public String metadataSchema() {
        return METADATA_SCHEMA;
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.entries = new LoggerEntries(NAME, env, "0.1.0");
        env.metrics().capOverflows(NAME + ".queue", dropped::get);
        this.unused = AccessLogFormat.defaults(); // the writer's own format is never used: lines come formatted
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        VarsExpr match = null;
        JsonArray m = conf.getJsonArray("match");
        if (m != null) {
            String err = VarsExpr.validate(m);
            if (err != null) {
                throw new PluginConfigException("failed to validate the 'match' expression: " + err);
            }
            try {
                match = VarsExpr.compile(m);
            } catch (VarsExprException e) {
                throw new PluginConfigException("failed to validate the 'match' expression: " + e.getMessage());
            }
        }
        return new Config(conf.getString("path"), match, LoggerEntries.Options.parse(conf));
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
        if (conf.match() != null && !conf.match().eval(ContextVars.of(ctx))) {
            return;
        }
        String p = conf.path();
        if (p == null) {
            JsonObject meta = env.pluginMetadata(NAME);
            p = meta == null ? null : meta.getString("path");
        }
        if (p == null) {
            LOG.error("property \"path\" is not set in either the plugin conf or the metadata");
            return;
        }
        AccessLogWriter w = writer(p);
        if (w == null || !w.enqueue(entries.entry(conf.entry(), ctx))) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 10_000 == 0) {
                LOG.warn("file-logger: {} lines dropped (queue full or too many files)", n);
            }
        }
    }

    private AccessLogWriter writer(String p) {
        AccessLogWriter w = byPath.get(p); // the configured text: no path resolution per request
        if (w != null) {
            return w;
        }
        Path path = env.prefix().resolve(p).normalize();
        w = writers.get(path);
        if (w == null) {
            if (writers.size() >= MAX_FILES) {
                return null;
            }
            // starting a writer only starts its thread: the file is opened by that thread
            w = writers.computeIfAbsent(path, k -> AccessLogWriter.start(unused, k, AccessLogWriter.DEFAULT_QUEUE_CAPACITY));
        }
        if (byPath.size() < MAX_FILES * 4) { // spellings of the same files; past that, resolved each time
            byPath.put(p, w);
        }
        return w;
    }

    /** Lines dropped so far (queue full or file cap), for tests and metrics. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public Future<Void> close() {
        if (env == null) {
            return Future.succeededFuture(); // never initialised (another plugin stopped the start first)
        }
        // close() joins each writer thread (bounded): run it on a worker, never on the event loop
        return env.vertx().executeBlocking(() -> {
            writers.values().forEach(AccessLogWriter::close);
            writers.clear();
            byPath.clear();
            return null;
        });
    }
}
