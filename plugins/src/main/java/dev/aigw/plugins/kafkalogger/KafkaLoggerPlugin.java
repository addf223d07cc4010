package dev.aigw.plugins.kafkalogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.BatchProcessor;
import dev.aigw.gateway.log.BatchProcessorBacklog;
import dev.aigw.gateway.log.BatchProcessorConfig;
import dev.aigw.gateway.log.BatchProcessorManager;
import dev.aigw.gateway.log.LogEntry;
import dev.aigw.gateway.log.LogEntryFormat;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.route.match.ContextVars;
import dev.aigw.gateway.route.match.VarsExpr;
import dev.aigw.gateway.route.match.VarsExprException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * APISIX's {@code kafka-logger} (priority 403): in the log phase builds one entry per request —
 * APISIX's default JSON entry, a custom {@code log_format} (route config, else plugin metadata), or
 * with {@code meta_format: origin} the raw request text — and pushes it to a batch processor per
 * (route, configuration). A batch is sent as one Kafka record: a single JSON object when
 * {@code batch_max_size} is 1, else a JSON array (as APISIX).
 *
 * <p>Kafka I/O happens on worker threads ({@link KafkaSink}); producers are shared between routes
 * with equal producer settings, built on first use and closed when the last route using them is
 * released. {@link #close()} flushes everything accepted before closing the producers.
 *
 * <p>When Kafka is down requests are unaffected: batches fail and are retried per
 * {@code max_retry_count}; beyond the backlog caps ({@code max_pending_entries} in the plugin
 * metadata, 8192 by default, and 32 MiB of entries) new entries are dropped and counted.
 * kafka-clients reconnects by itself, so new entries flow again once the broker is back.
 *
 * <p>JSON entries are encoded once, in the log phase, and kept off the heap in pooled slabs that
 * each thread fills entry after entry (up to {@link #OFF_HEAP_BUDGET} in all, past it on the heap); a
 * slab goes back to the pool when every entry in it was sent or dropped. With 1 000 entries per batch
 * a young collection would otherwise copy the waiting entries and overflow the survivor spaces into
 * the old generation (a full collection every few seconds under load).
 */
public final class KafkaLoggerPlugin implements Plugin<KafkaLoggerConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaLoggerPlugin.class);

    public static final String NAME = "kafka-logger";
    /** APISIX's batch processor name for this logger. */
    public static final String BATCH_NAME = "kafka logger";

    private static final Object REQ_BODY_WANTED = new Object();
    private static final Object RESP_BODY = new Object();
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(30);
    /** Off-heap bytes the waiting entries may hold in all (with the default backlog cap, ~2 KiB each). */
    static final long OFF_HEAP_BUDGET = 16L << 20;

    /** Response body being captured for {@code include_resp_body}. */
    private static final class RespBody {
        final Buffer acc = Buffer.buffer();
        boolean skip;
        boolean complete;
    }

    /** A batch processor per route and configuration instance (identity: one per route build). */
    private static final class ProcessorKey {
        final String routeId;
        final KafkaLoggerConfig conf;

        ProcessorKey(String routeId, KafkaLoggerConfig conf) {
            this.routeId = routeId;
            this.conf = conf;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ProcessorKey k && k.conf == conf && k.routeId.equals(routeId);
        }

        @Override
        public int hashCode() {
            return routeId.hashCode() * 31 + System.identityHashCode(conf);
        }
    }

    private record CompiledMetadata(JsonObject source, LogEntryFormat logFormat, LogEntryFormat logFormatExtra) {
    }

    private final String schema = KafkaLoggerSchema.schema(BATCH_NAME);
    private final String metadataSchema = KafkaLoggerSchema.metadataSchema();
    private final AtomicReference<CompiledMetadata> metadata = new AtomicReference<>();
    private final AtomicLong offHeapBytes = new AtomicLong();
    private final LongAdder offHeapEntries = new LongAdder();
    /** Entries dropped for being over Kafka's message limit on their own. */
    private final AtomicLong oversize = new AtomicLong();
    private final long offHeapBudget;

    private volatile PluginEnv env;
    private volatile LogEntry entries;
    private volatile KafkaSink sink;
    private volatile dev.aigw.gateway.metrics.Counter batches;
    private volatile dev.aigw.gateway.metrics.Gauge lastFailure;
    private volatile BatchProcessorManager<Object> processors;
    private Future<Void> closing;

    /** The plugin as the gateway loads it. */
    public KafkaLoggerPlugin() {
        this(OFF_HEAP_BUDGET);
    }

    /** With another off-heap budget (tests: 0 keeps every entry on the heap). */
    KafkaLoggerPlugin(long offHeapBudget) {
        this.offHeapBudget = offHeapBudget;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 403;
    }

    /** APISIX's {@code encrypt_fields}: stored encrypted, decrypted when read. */
    @Override
    public java.util.List<String> encryptFields() {
        return java.util.List.of("brokers.sasl_config.password");
    }

    @Override
    public String schema() {
        return schema;
    }

    @Override
    public String metadataSchema() {
        return metadataSchema;
    }

    @Override
    public void init(PluginEnv env) {
        this.env = env;
        this.entries = LogEntry.forThisHost(version());
        this.sink = new KafkaSink(env.vertx(), CLOSE_TIMEOUT);
        // the broker's health as the dashboard (and Prometheus) sees it: batches by result, last failure
        this.batches = env.metrics().counter("kafka_logger_batches", "kafka-logger batches sent to Kafka, by result",
                java.util.List.of("result"), 0);
        this.lastFailure = env.metrics().gauge("kafka_logger_last_failure_timestamp_seconds",
                "When a kafka-logger batch last failed (Unix seconds; 0 = never)", java.util.List.of(), 0);
        this.processors = new BatchProcessorManager<>(env.vertx(),
                new BatchProcessorBacklog(BATCH_NAME, this::maxPendingEntries));
        env.metrics().capOverflows(NAME + ".backlog", processors::dropped);
        env.metrics().capOverflows(NAME + ".message_size", oversize::get);
    }

    private static String version() {
        String v = KafkaLoggerPlugin.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0" : v;
    }

    private int maxPendingEntries() {
        JsonObject meta = env.pluginMetadata(NAME);
        Integer v = meta == null ? null : meta.getInteger("max_pending_entries");
        return v == null ? BatchProcessorBacklog.DEFAULT_MAX_PENDING_ENTRIES : v;
    }

    /** The batch processors (for tests and metrics): pending and dropped counts. */
    public BatchProcessorManager<Object> processors() {
        return processors;
    }

    /** Kafka producers currently held (for tests). */
    int producerCount() {
        return sink == null ? 0 : sink.producers();
    }

    // ------------------------------------------------------------------ configuration

    @Override
    public KafkaLoggerConfig parseConfig(JsonObject conf) throws PluginConfigException {
        Set<String> bootstrap = new LinkedHashSet<>();
        String mechanism = null;
        String user = null;
        String password = null;
        JsonArray brokers = conf.getJsonArray("brokers");
        if (brokers != null) {
            for (Object o : brokers) {
                JsonObject b = (JsonObject) o;
                bootstrap.add(hostPort(b.getString("host"), b.getInteger("port")));
                JsonObject sasl = b.getJsonObject("sasl_config");
                if (sasl != null && mechanism == null) {
                    // kafka-clients has one SASL setting per producer: the first broker's applies
                    mechanism = sasl.getString("mechanism", "PLAIN");
                    user = sasl.getString("user");
                    password = sasl.getString("password");
                }
            }
        }
        JsonObject brokerList = conf.getJsonObject("broker_list"); // deprecated form {"host": port}
        if (brokerList != null) {
            for (Map.Entry<String, Object> e : brokerList) {
                bootstrap.add(hostPort(e.getKey(), ((Number) e.getValue()).intValue()));
            }
        }
        if (bootstrap.isEmpty()) {
            throw new PluginConfigException("property \"brokers\" is required");
        }
        JsonObject tls = conf.getJsonObject("tls");
        ProducerSettings producer = new ProducerSettings(String.join(",", bootstrap), mechanism, user, password,
                conf.getInteger("required_acks", 1), conf.getInteger("timeout", 3),
                "sync".equals(conf.getString("producer_type", "async")),
                conf.getInteger("producer_time_linger", 1), conf.getInteger("producer_batch_size", 1048576),
                conf.getInteger("meta_refresh_interval", 30), conf.getInteger("cluster_name", 1),
                tls != null, tls != null && tls.getBoolean("verify", false));

        return new KafkaLoggerConfig(conf.copy(), producer, conf.getString("kafka_topic"), conf.getString("key"),
                "origin".equals(conf.getString("meta_format", "default")),
                compileFormat(conf.getJsonObject("log_format")),
                compileFormat(conf.getJsonObject("log_format_extra")),
                conf.getBoolean("include_req_body", false),
                compileExpr(conf.getJsonArray("include_req_body_expr"), "include_req_body_expr"),
                conf.getInteger("max_req_body_bytes", 524288),
                conf.getBoolean("include_resp_body", false),
                compileExpr(conf.getJsonArray("include_resp_body_expr"), "include_resp_body_expr"),
                conf.getInteger("max_resp_body_bytes", 524288),
                BatchProcessorConfig.from(conf, BATCH_NAME));
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    private static LogEntryFormat compileFormat(JsonObject format) {
        return format == null ? null : LogEntryFormat.compile(format);
    }

    private static VarsExpr compileExpr(JsonArray expr, String field) throws PluginConfigException {
        if (expr == null) {
            return null;
        }
        try {
            // the routes' expression language (lua-resty-expr in APISIX for both)
            return VarsExpr.compileStrict(expr);
        } catch (VarsExprException e) {
            throw new PluginConfigException("failed to validate the '" + field + "' expression: " + e.getMessage());
        }
    }

    /** Flushes this configuration's processors; each gives its producer reference back once done. */
    @Override
    public void release(KafkaLoggerConfig conf) {
        BatchProcessorManager<Object> m = processors;
        if (m != null) {
            m.release(k -> k instanceof ProcessorKey pk && pk.conf == conf);
        }
    }

    // ------------------------------------------------------------------ phases

    /** Reads the request body when it is to be logged (APISIX's {@code check_and_read_req_body}). */
    @Override
    public Future<Void> access(KafkaLoggerConfig conf, RequestContext ctx) {
        if (!conf.includeReqBody()) {
            return Future.succeededFuture();
        }
        boolean wanted = conf.reqBodyExpr() == null || conf.reqBodyExpr().eval(ContextVars.of(ctx));
        ctx.put(REQ_BODY_WANTED, wanted);
        return wanted ? ctx.readBody().mapEmpty() : Future.succeededFuture();
    }

    /** Keeps up to {@code max_resp_body_bytes} of the response for {@code include_resp_body}. */
    @Override
    public Buffer bodyFilter(KafkaLoggerConfig conf, RequestContext ctx, Buffer chunk, boolean last) {
        if (!conf.includeRespBody()) {
            return chunk;
        }
        RespBody rb = ctx.get(RESP_BODY);
        if (rb == null) {
            rb = new RespBody();
            rb.skip = conf.respBodyExpr() != null && !conf.respBodyExpr().eval(ContextVars.of(ctx));
            ctx.put(RESP_BODY, rb);
        }
        if (!rb.skip && chunk != null) {
            int room = conf.maxRespBodyBytes() - rb.acc.length();
            if (room > 0) {
                rb.acc.appendBuffer(chunk.length() <= room ? chunk : chunk.getBuffer(0, room));
            }
        }
        if (last) {
            rb.complete = true;
        }
        return chunk;
    }

    @Override
    public void log(KafkaLoggerConfig conf, RequestContext ctx) {
        BatchProcessorManager<Object> m = processors;
        if (m == null) {
            LOG.warn("kafka-logger used before init");
            return;
        }
        Object entry;
        try {
            // JSON entries are encoded here, once: a batch holds up to batch_max_size entries for
            // seconds, and as flat bytes each they cost the sender a copy, not a walk over a tree of
            // maps (with 1 000 entries buffered that walk was ~30 µs per request)
            entry = conf.origin() ? entries.origin(ctx, requestBody(conf, ctx)) : encoded(conf, ctx);
        } catch (RuntimeException e) {
            LOG.error("kafka-logger: cannot build the log entry: {}", e.toString());
            return;
        }
        String routeId = ctx.route() == null ? "" : ctx.route().id();
        KafkaSink s = sink;
        if (!m.push(new ProcessorKey(routeId, conf), conf.batch(), () -> {
            s.retain(conf.producer());
            return handler(conf, s);
        }, entry, entry instanceof Encoded e ? e.length() : ((String) entry).length())) {
            releaseEntry(entry); // dropped (backlog full, or closing)
        }
    }

    private BatchProcessor.Handler<Object> handler(KafkaLoggerConfig conf, KafkaSink sink) {
        return new BatchProcessor.Handler<>() {
            @Override
            public Future<Void> process(List<Object> batch, int batchMaxSize) {
                return sink.send(conf.producer(), conf.topic(), conf.key(), () -> {
                            Messages m = encode(batch, batchMaxSize, MAX_MESSAGE_BYTES);
                            if (m.dropped() > 0) {
                                oversize.addAndGet(m.dropped());
                                LOG.warn("kafka-logger: dropped {} entries for topic {} larger than Kafka's message limit"
                                        + " ({} bytes; the largest was {}); total dropped so far: {}", m.dropped(),
                                        conf.topic(), MAX_MESSAGE_BYTES, m.largestDropped(), oversize.get());
                            }
                            return m.values();
                        })
                        .onComplete(ar -> {
                            if (ar.succeeded()) {
                                batches.inc(1, "ok");
                            } else {
                                batches.inc(1, "failed");
                                lastFailure.set(System.currentTimeMillis() / 1000.0);
                            }
                        });
            }

            @Override
            public void finished(List<Object> batch) {
                for (Object e : batch) {
                    releaseEntry(e);
                }
            }

            @Override
            public void closed() {
                sink.release(conf.producer()); // the reference this processor took when it was created
            }
        };
    }

    /**
     * An entry encoded as JSON (a {@code meta_format: origin} entry is a plain String): {@code length}
     * bytes of UTF-8 at {@code offset} in its slab's off-heap buffer, or in {@code heap} when it is on
     * the heap; never modified once built (the sender only reads it). One small object per waiting
     * entry, rather than a buffer view as well: a thousand of them wait in a batch.
     */
    record Encoded(Slab slab, byte[] heap, int offset, int length) {
        /** An entry on the heap. */
        Encoded(byte[] json) {
            this(null, json, 0, json.length);
        }

        void copyTo(byte[] out, int at) {
            if (heap != null) {
                System.arraycopy(heap, offset, out, at, length);
            } else {
                slab.buf.getBytes(offset, out, at, length);
            }
        }
    }

    /**
     * Off-heap memory that entries are written into back to back: one allocation per
     * {@link #SLAB_BYTES} of entries rather than one per entry (the pool's allocate and release were a
     * tenth of an entry's cost). It goes back to the pool when nothing holds it: the entries in it, and
     * the thread filling it while it does.
     */
    static final class Slab {
        final ByteBuf buf;
        private final AtomicInteger holds = new AtomicInteger(1);

        Slab(ByteBuf buf) {
            this.buf = buf;
        }
    }

    /** A thread's slab size: 64 entries of ~1 KiB; a larger entry ({@code > SLAB_BYTES / 4}) gets its own. */
    static final int SLAB_BYTES = 64 * 1024;
    /** What an entry is written into first: its size is known before any off-heap memory is taken. */
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };
    /**
     * The slab each thread is filling (per plugin: its budget counts them). A thread that ends gives
     * its hold back (Netty removes a thread's values when an event-loop thread ends).
     */
    private final FastThreadLocal<Slab> slabs = new FastThreadLocal<>() {
        @Override
        protected void onRemoval(Slab slab) {
            if (slab != null) {
                drop(slab);
            }
        }
    };

    /** The JDK's growable byte array, reused by its thread for one entry after another. */
    static final class Scratch extends ByteArrayOutputStream {
        /** Kept between entries up to this size; one larger entry (a body) does not keep its array. */
        private static final int KEEP = 256 * 1024;

        Scratch() {
            super(4096);
        }

        @Override
        public synchronized void reset() {
            super.reset();
            if (buf.length > KEEP) {
                buf = new byte[4096];
            }
        }

        /** The array the entry's {@link #size()} bytes start at (no copy, unlike {@code toByteArray}). */
        synchronized byte[] array() {
            return buf;
        }
    }

    /** The entry copied into this thread's slab while the budget allows, else onto the heap. */
    private Encoded encoded(KafkaLoggerConfig conf, RequestContext ctx) {
        Scratch out = SCRATCH.get();
        out.reset();
        writeEntry(conf, ctx, out);
        int n = out.size();
        byte[] bytes = out.array();
        if (offHeapBytes.get() >= offHeapBudget) {
            return new Encoded(Arrays.copyOf(bytes, n));
        }
        Slab slab;
        if (n > SLAB_BYTES / 4) {
            slab = new Slab(ByteBufAllocator.DEFAULT.directBuffer(n, n)); // its one hold is the entry's
            offHeapBytes.addAndGet(slab.buf.capacity());
        } else {
            slab = slabs.get();
            if (slab == null || slab.buf.writableBytes() < n) {
                if (slab != null) {
                    drop(slab); // the thread's hold: the entries in it keep it until they are sent
                }
                slab = new Slab(ByteBufAllocator.DEFAULT.directBuffer(SLAB_BYTES, SLAB_BYTES));
                offHeapBytes.addAndGet(slab.buf.capacity());
                slabs.set(slab);
            }
            slab.holds.incrementAndGet();
        }
        int at = slab.buf.writerIndex();
        slab.buf.writeBytes(bytes, 0, n);
        offHeapEntries.increment();
        return new Encoded(slab, null, at, n);
    }

    private void drop(Slab slab) {
        if (slab.holds.decrementAndGet() == 0) {
            offHeapBytes.addAndGet(-slab.buf.capacity()); // read before the buffer goes back to the pool
            slab.buf.release();
        }
    }

    private void releaseEntry(Object entry) {
        if (entry instanceof Encoded e && e.slab() != null) {
            offHeapEntries.decrement();
            drop(e.slab());
        }
    }

    /** Off-heap bytes taken for entries: slabs holding waiting entries and each thread's current one (for tests). */
    long offHeapBytes() {
        return offHeapBytes.get();
    }

    /** Entries waiting off the heap (for tests). */
    long offHeapEntries() {
        return offHeapEntries.sum();
    }

    /**
     * The largest record value sent: Kafka refuses a message over 1 MiB by default (the producer's
     * {@code max.request.size}, the broker's {@code message.max.bytes}), and this leaves room for the
     * key and the record's framing.
     */
    static final int MAX_MESSAGE_BYTES = 1_000_000;

    /** The record values of a batch, and the entries left out because one alone is over the limit. */
    record Messages(List<byte[]> values, int dropped, int largestDropped) {
    }

    /**
     * APISIX: the entry itself when batch_max_size is 1, else a JSON array of the entries (origin
     * entries as JSON strings). Runs on a Kafka worker thread; the entries' UTF-8 is copied once, into
     * arrays of the exact size. Where APISIX sends one message per batch whatever its size (and Kafka
     * refuses it past 1 MiB: the whole batch lost), a batch over {@code maxBytes} goes as several
     * arrays of whole entries, in order; an entry over the limit on its own is dropped and counted.
     */
    static Messages encode(List<Object> batch, int batchMaxSize, int maxBytes) {
        int n = batch.size();
        // origin entries become JSON strings here (raw bytes when sent alone); encoded entries are
        // copied straight from their buffers
        byte[][] origin = new byte[n][];
        int[] length = new int[n];
        boolean alone = batchMaxSize == 1 && n == 1;
        for (int i = 0; i < n; i++) {
            Object e = batch.get(i);
            if (e instanceof Encoded j) {
                length[i] = j.length();
            } else {
                String text = String.valueOf(e);
                origin[i] = (alone ? text : Json.encode(text)).getBytes(StandardCharsets.UTF_8);
                length[i] = origin[i].length;
            }
        }
        List<byte[]> values = new ArrayList<>(1);
        int dropped = 0;
        int largest = 0;
        if (alone) {
            if (length[0] > maxBytes) {
                return new Messages(values, 1, length[0]);
            }
            byte[] out = new byte[length[0]];
            copy(batch.get(0), origin[0], out, 0);
            values.add(out);
            return new Messages(values, 0, 0);
        }
        int i = 0;
        while (i < n) {
            if (length[i] + 2 > maxBytes) {
                dropped++;
                largest = Math.max(largest, length[i]);
                i++;
                continue;
            }
            int size = 2 + length[i];
            int end = i + 1;
            // an entry over the limit never fits: it ends this array and is dropped next round
            while (end < n && size + 1 + length[end] <= maxBytes) {
                size += 1 + length[end++];
            }
            byte[] out = new byte[size];
            out[0] = '[';
            int at = 1;
            for (int k = i; k < end; k++) {
                if (k > i) {
                    out[at++] = ',';
                }
                copy(batch.get(k), origin[k], out, at);
                at += length[k];
            }
            out[at] = ']';
            values.add(out);
            i = end;
        }
        return new Messages(values, dropped, largest);
    }

    private static void copy(Object entry, byte[] origin, byte[] out, int at) {
        if (entry instanceof Encoded j) {
            j.copyTo(out, at);
        } else {
            System.arraycopy(origin, 0, out, at, origin.length);
        }
    }

    /** The entry as JSON, UTF-8: the default one written straight to bytes, a {@code log_format} rendered. */
    private void writeEntry(KafkaLoggerConfig conf, RequestContext ctx, Scratch out) {
        CompiledMetadata meta = metadata();
        LogEntryFormat format = conf.logFormat() != null ? conf.logFormat()
                : meta != null && meta.logFormat != null ? meta.logFormat : null;
        if (format != null) {
            byte[] text = LogEntry.formatJson(format, ctx, conf.maxReqBodyBytes()).getBytes(StandardCharsets.UTF_8);
            out.write(text, 0, text.length);
            return;
        }
        LogEntryFormat extra = conf.source().containsKey("log_format_extra") ? conf.logFormatExtra()
                : meta == null ? null : meta.logFormatExtra;
        entries.fullJsonUtf8(out, ctx, requestBody(conf, ctx), responseBody(conf, ctx), extra, conf.maxReqBodyBytes());
    }

    /** Plugin metadata, compiled once per metadata change (compared by identity: cheap). */
    private CompiledMetadata metadata() {
        JsonObject m = env.pluginMetadata(NAME);
        if (m == null) {
            return null;
        }
        CompiledMetadata cur = metadata.get();
        if (cur != null && cur.source == m) {
            return cur;
        }
        JsonObject lf = m.getJsonObject("log_format");
        JsonObject lfe = m.getJsonObject("log_format_extra");
        CompiledMetadata next = new CompiledMetadata(m,
                lf == null || lf.isEmpty() ? null : LogEntryFormat.compile(lf),
                lfe == null || lfe.isEmpty() ? null : LogEntryFormat.compile(lfe));
        metadata.set(next);
        return next;
    }

    private static String requestBody(KafkaLoggerConfig conf, RequestContext ctx) {
        if (!conf.includeReqBody()) {
            return null;
        }
        Boolean wanted = ctx.get(REQ_BODY_WANTED);
        if (wanted == null) {
            wanted = conf.reqBodyExpr() == null || conf.reqBodyExpr().eval(ContextVars.of(ctx));
        }
        return wanted ? LogEntry.requestBody(ctx, conf.maxReqBodyBytes()) : null;
    }

    private static String responseBody(KafkaLoggerConfig conf, RequestContext ctx) {
        if (!conf.includeRespBody()) {
            return null;
        }
        RespBody rb = ctx.get(RESP_BODY);
        return rb == null || rb.skip || !rb.complete ? null : rb.acc.toString(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Flushes every accepted entry (waiting at most 30 s for batches, retries included, and 10 s for
     * each producer's own flush), then closes the producers and the worker pool.
     */
    @Override
    public synchronized Future<Void> close() {
        if (closing == null) {
            closing = doClose();
        }
        return closing;
    }

    private Future<Void> doClose() {
        BatchProcessorManager<Object> m = processors;
        KafkaSink s = sink;
        if (m == null) {
            return Future.succeededFuture();
        }
        Promise<Void> flushed = Promise.promise();
        m.close().onComplete(ar -> flushed.tryComplete());
        // a batch waiting for many retries must not hold shutdown forever
        long timer = env.vertx().setTimer(FLUSH_TIMEOUT.toMillis(), id -> flushed.tryComplete());
        return flushed.future().compose(v -> {
            env.vertx().cancelTimer(timer);
            if (m.pending() > 0) {
                LOG.warn("kafka-logger: {} entries still pending at shutdown", m.pending());
            }
            return s.close();
        });
    }
}
