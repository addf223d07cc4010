package dev.aigw.plugins.httplogger;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.LogEntry;
import dev.aigw.gateway.log.LogEntryFormat;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.route.match.ContextVars;
import dev.aigw.gateway.route.match.VarsExpr;
import dev.aigw.gateway.route.match.VarsExprException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The entry of APISIX's HTTP-style loggers ({@code http-logger}, {@code file-logger}): the default JSON
 * entry, or {@code log_format} (route, else the plugin's metadata) with {@code log_format_extra};
 * {@code include_req_body[_expr]} and {@code include_resp_body[_expr]} bounded by
 * {@code max_req_body_bytes} / {@code max_resp_body_bytes}, as kafka-logger builds them. One instance
 * per plugin; the per-route part is {@link Options}, parsed once.
 */
public final class LoggerEntries {

    /** Schema properties shared by both loggers (APISIX's names and defaults). */
    public static final String PROPERTIES = """
                "log_format": {"type": "object"},
                "log_format_extra": {"type": "object"},
                "include_req_body": {"type": "boolean", "default": false},
                "include_req_body_expr": {"type": "array", "minItems": 1, "items": {"type": "array"}},
                "include_resp_body": {"type": "boolean", "default": false},
                "include_resp_body_expr": {"type": "array", "minItems": 1, "items": {"type": "array"}},
                "max_req_body_bytes": {"type": "integer", "minimum": 1, "default": 524288},
                "max_resp_body_bytes": {"type": "integer", "minimum": 1, "default": 524288}""";

    /** The metadata schema of both loggers. */
    public static final String METADATA_SCHEMA = """
            {"type": "object", "properties": {"log_format": {"type": "object"}, "log_format_extra": {"type": "object"}}}""";

    /** What a route's configuration says about its entries. */
    public record Options(LogEntryFormat format, LogEntryFormat extra, boolean extraSet, boolean reqBody,
                          VarsExpr reqBodyExpr, int maxReqBody, boolean respBody, VarsExpr respBodyExpr,
                          int maxRespBody) {

        /** Parses the shared keys of an already validated configuration. */
        public static Options parse(JsonObject conf) throws PluginConfigException {
            return new Options(LoggerEntries.format(conf.getJsonObject("log_format")),
                    LoggerEntries.format(conf.getJsonObject("log_format_extra")),
                    conf.containsKey("log_format_extra"), conf.getBoolean("include_req_body", false),
                    expr(conf.getJsonArray("include_req_body_expr"), "include_req_body_expr"),
                    conf.getInteger("max_req_body_bytes", 524288), conf.getBoolean("include_resp_body", false),
                    expr(conf.getJsonArray("include_resp_body_expr"), "include_resp_body_expr"),
                    conf.getInteger("max_resp_body_bytes", 524288));
        }
    }

    private record Meta(JsonObject source, LogEntryFormat format, LogEntryFormat extra) {
    }

    private static final class RespBody {
        final Buffer acc = Buffer.buffer();
        boolean skip;
        boolean complete;
    }

    private final String pluginName;
    private final PluginEnv env;
    private final LogEntry entries;
    private final Object reqWanted = new Object();
    private final Object respKey = new Object();
    private final AtomicReference<Meta> meta = new AtomicReference<>();

    public LoggerEntries(String pluginName, PluginEnv env, String version) {
        this.pluginName = pluginName;
        this.env = env;
        this.entries = LogEntry.forThisHost(version);
    }

    private static LogEntryFormat format(JsonObject f) {
        return f == null ? null : LogEntryFormat.compile(f);
    }

    private static VarsExpr expr(JsonArray e, String field) throws PluginConfigException {
        if (e == null) {
            return null;
        }
        try {
            // the routes' expression language, as kafka-logger's (lua-resty-expr in APISIX for both)
            return VarsExpr.compileStrict(e);
        } catch (VarsExprException ex) {
            throw new PluginConfigException("failed to validate the '" + field + "' expression: " + ex.getMessage());
        }
    }

    /** Access phase: reads the request body when it is to be logged. */
    public Future<Void> access(Options o, RequestContext ctx) {
        if (!o.reqBody()) {
            return Future.succeededFuture();
        }
        boolean wanted = o.reqBodyExpr() == null || o.reqBodyExpr().eval(ContextVars.of(ctx));
        ctx.put(reqWanted, wanted);
        return wanted ? ctx.readBody().mapEmpty() : Future.succeededFuture();
    }

    /** Body filter: keeps up to {@code max_resp_body_bytes} of the response when it is to be logged. */
    public Buffer bodyFilter(Options o, RequestContext ctx, Buffer chunk, boolean last) {
        if (!o.respBody()) {
            return chunk;
        }
        RespBody rb = ctx.get(respKey);
        if (rb == null) {
            rb = new RespBody();
            rb.skip = o.respBodyExpr() != null && !o.respBodyExpr().eval(ContextVars.of(ctx));
            ctx.put(respKey, rb);
        }
        if (!rb.skip && chunk != null) {
            int room = o.maxRespBody() - rb.acc.length();
            if (room > 0) {
                rb.acc.appendBuffer(chunk.length() <= room ? chunk : chunk.getBuffer(0, room));
            }
        }
        if (last) {
            rb.complete = true;
        }
        return chunk;
    }

    /**
     * The entry for this request as JSON text (log phase, on the event loop): the default entry is
     * written straight to text ({@link LogEntry#fullJson}), a {@code log_format} rendered then encoded.
     */
    public String entry(Options o, RequestContext ctx) {
        Meta m = meta();
        LogEntryFormat format = o.format() != null ? o.format() : m != null ? m.format() : null;
        if (format != null) {
            return LogEntry.formatJson(format, ctx, o.maxReqBody());
        }
        LogEntryFormat extra = o.extraSet() ? o.extra() : m == null ? null : m.extra();
        return entries.fullJson(ctx, requestBody(o, ctx), responseBody(o, ctx), extra, o.maxReqBody());
    }

    private Meta meta() {
        JsonObject m = env.pluginMetadata(pluginName);
        if (m == null) {
            return null;
        }
        Meta cur = meta.get();
        if (cur != null && cur.source() == m) {
            return cur;
        }
        JsonObject lf = m.getJsonObject("log_format");
        JsonObject lfe = m.getJsonObject("log_format_extra");
        Meta next = new Meta(m, lf == null || lf.isEmpty() ? null : LogEntryFormat.compile(lf),
                lfe == null || lfe.isEmpty() ? null : LogEntryFormat.compile(lfe));
        meta.set(next);
        return next;
    }

    private String requestBody(Options o, RequestContext ctx) {
        if (!o.reqBody()) {
            return null;
        }
        Boolean wanted = ctx.get(reqWanted);
        if (wanted == null) {
            wanted = o.reqBodyExpr() == null || o.reqBodyExpr().eval(ContextVars.of(ctx));
        }
        return wanted ? LogEntry.requestBody(ctx, o.maxReqBody()) : null;
    }

    private String responseBody(Options o, RequestContext ctx) {
        if (!o.respBody()) {
            return null;
        }
        RespBody rb = ctx.get(respKey);
        return rb == null || rb.skip || !rb.complete ? null : rb.acc.toString(StandardCharsets.UTF_8);
    }
}
