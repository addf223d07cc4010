package dev.aigw.plugins.responserewrite;

import dev.aigw.gateway.context.PostArgPath;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.route.match.VarSource;
import dev.aigw.gateway.route.match.VarsExpr;
import dev.aigw.gateway.route.match.VarsExprException;
import dev.aigw.plugins.proxyrewrite.Template;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.zip.GZIPInputStream;

/**
 * APISIX's {@code response-rewrite} (priority 899). In the header filter, when {@code vars} (evaluated
 * on the response: {@code status}, {@code sent_http_*}, {@code upstream_status} …) holds, it sets
 * {@code status_code} and the {@code headers} operations (APISIX's {@code add}/{@code set}/{@code remove}
 * or the older flat object, values with {@code $var} references); in the body filter it replaces the
 * body with {@code body} (base64-decoded with {@code body_base64}) or applies the regex {@code filters}
 * to the whole body, held up to {@code max_resp_body_size} bytes (beyond, the body is truncated, as
 * APISIX documents). {@code Content-Length}, {@code Content-Encoding}, {@code ETag} and
 * {@code Last-Modified} are cleared when the body changes. Only {@code filters} hold the body: with a
 * replacement {@code body} a streamed answer is dropped chunk by chunk, never buffered.
 */
public final class ResponseRewritePlugin implements Plugin<ResponseRewritePlugin.Config> {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseRewritePlugin.class);
    private static final Object STATE = new Object();

    /** One header to add or set: its name and its value template. */
    record HeaderValue(String name, Template value) {
    }

    /** One body filter: compiled regex, replacement, and whether every match is replaced. */
    record Filter(Pattern regex, String replace, boolean global) {
    }

    /** Parsed configuration: templates and regexes compiled once. */
    public record Config(Integer statusCode, Buffer body, List<HeaderValue> add, List<HeaderValue> set,
                         List<String> remove, VarsExpr vars, List<Filter> filters, int maxBody) {
        boolean changesBody() {
            return body != null || filters != null;
        }
    }

    /** Per-request state: whether vars matched, and the held body when filters apply. */
    private static final class State {
        final boolean matched;
        Buffer held;
        boolean done;
        String encoding;

        State(boolean matched) {
            this.matched = matched;
        }
    }

    private static final String VALUE = """
            {"oneOf": [{"type": "string"}, {"type": "number"}]}""";

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "max_resp_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "headers": {
                  "anyOf": [
                    {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": %1$s}},
                    {"properties": {
                      "add": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+:[^:]*[^/]$"}},
                      "set": {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": %1$s}},
                      "remove": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+$"}}
                    }}
                  ]
                },
                "body": {"type": "string"},
                "body_base64": {"type": "boolean", "default": false},
                "status_code": {"type": "integer", "minimum": 200, "maximum": 598},
                "vars": {"type": "array"},
                "filters": {
                  "type": "array", "minItems": 1,
                  "items": {
                    "type": "object", "required": ["regex", "replace"],
                    "properties": {
                      "regex": {"type": "string", "minLength": 1},
                      "scope": {"type": "string", "enum": ["once", "global"], "default": "once"},
                      "replace": {"type": "string"},
                      "options": {"type": "string", "default": "jo"}
                    }
                  }
                }
              },
              "dependencies": {
                "body": {"not": {"required": ["filters"]}},
                "filters": {"not": {"required": ["body"]}}
              }
            }
            """.formatted(VALUE);

    /** APISIX's pattern for an {@code add} entry: {@code Name: value}. */
    private static final Pattern ADD = Pattern.compile("^([^:\\s]+)\\s*:\\s*([^:]+)$");

    @Override
    public String name() {
        return "response-rewrite";
    }

    @Override
    public int priority() {
        return 899;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public Config parseConfig(JsonObject conf) throws PluginConfigException {
        Buffer body = null;
        String rawBody = conf.getString("body");
        if (conf.getBoolean("body_base64", false)) {
            if (rawBody == null || rawBody.isEmpty()) {
                throw new PluginConfigException("invalid base64 content");
            }
            try {
                body = Buffer.buffer(Base64.getDecoder().decode(rawBody));
            } catch (IllegalArgumentException e) {
                throw new PluginConfigException("invalid base64 content");
            }
        } else if (rawBody != null) {
            body = Buffer.buffer(rawBody);
        }
        List<HeaderValue> add = new ArrayList<>();
        List<HeaderValue> set = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        JsonObject headers = conf.getJsonObject("headers");
        if (headers != null) {
            boolean structured = headers.getValue("add") instanceof JsonArray
                    || headers.getValue("set") instanceof JsonObject || headers.getValue("remove") instanceof JsonArray;
            if (structured) {
                JsonArray a = headers.getJsonArray("add");
                if (a != null) {
                    for (Object o : a) {
                        Matcher m = ADD.matcher((String) o);
                        if (!m.matches()) {
                            throw new PluginConfigException("invalid header to add: " + o);
                        }
                        add.add(new HeaderValue(m.group(1), Template.compile(m.group(2), false)));
                    }
                }
                JsonObject s = headers.getJsonObject("set");
                if (s != null) {
                    for (Map.Entry<String, Object> e : s) {
                        set.add(new HeaderValue(e.getKey(), Template.compile(text(e.getValue()), false)));
                    }
                }
                JsonArray r = headers.getJsonArray("remove");
                if (r != null) {
                    r.forEach(o -> remove.add((String) o));
                }
            } else {
                for (Map.Entry<String, Object> e : headers) {
                    if (!(e.getValue() instanceof String) && !(e.getValue() instanceof Number)) {
                        throw new PluginConfigException("invalid type as header value");
                    }
                    if (e.getKey().isEmpty()) {
                        throw new PluginConfigException("invalid field length in header");
                    }
                    set.add(new HeaderValue(e.getKey(), Template.compile(text(e.getValue()), false)));
                }
            }
        }
        VarsExpr vars = null;
        JsonArray rule = conf.getJsonArray("vars");
        if (rule != null) {
            String err = VarsExpr.validate(rule);
            if (err != null) {
                throw new PluginConfigException("failed to validate the 'vars' expression: " + err);
            }
            try {
                vars = VarsExpr.compile(rule);
            } catch (VarsExprException e) {
                throw new PluginConfigException("failed to validate the 'vars' expression: " + e.getMessage());
            }
        }
        List<Filter> filters = null;
        JsonArray fs = conf.getJsonArray("filters");
        if (fs != null) {
            filters = new ArrayList<>();
            for (int i = 0; i < fs.size(); i++) {
                JsonObject f = fs.getJsonObject(i);
                String regex = f.getString("regex");
                Pattern p;
                try {
                    p = Pattern.compile(regex, flags(f.getString("options", "jo")));
                } catch (PatternSyntaxException e) {
                    throw new PluginConfigException("regex \"" + regex + "\" validation failed: " + e.getDescription());
                }
                filters.add(new Filter(p, f.getString("replace"), "global".equals(f.getString("scope", "once"))));
            }
            filters = List.copyOf(filters);
        }
        return new Config(conf.getInteger("status_code"), body, List.copyOf(add), List.copyOf(set),
                List.copyOf(remove), vars, filters, conf.getInteger("max_resp_body_size", 67108864));
    }

    private static String text(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            return Long.toString(d.longValue()); // Lua prints 1.0 as 1
        }
        return v.toString();
    }

    /** ngx.re options: i, m, s, x map to Java flags; j, o (JIT, compile once), u, a, D are no-ops here. */
    private static int flags(String options) throws PluginConfigException {
        int f = 0;
        for (char c : options.toCharArray()) {
            switch (c) {
                case 'i' -> f |= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                case 'm' -> f |= Pattern.MULTILINE;
                case 's' -> f |= Pattern.DOTALL;
                case 'x' -> f |= Pattern.COMMENTS;
                case 'j', 'o', 'u', 'a', 'D', 'J', 'U' -> {
                }
                default -> throw new PluginConfigException("unknown flag \"" + c + "\"");
            }
        }
        return f;
    }

    @Override
    public void headerFilter(Config conf, RequestContext ctx) {
        boolean matched = conf.vars() == null || conf.vars().eval(new VarSource() {
            @Override
            public Object var(String name) {
                // nginx's $status in a header filter is the status being sent; the core's is set once sent
                return "status".equals(name) ? (Object) ctx.response().getStatusCode() : ctx.var(name);
            }

            @Override
            public Object postArg(PostArgPath path) {
                return ctx.postArg(path);
            }
        });
        State st = new State(matched);
        ctx.put(STATE, st);
        if (!matched) {
            return;
        }
        MultiMap out = ctx.response().headers();
        if (conf.statusCode() != null) {
            ctx.response().setStatusCode(conf.statusCode());
        }
        if (conf.changesBody()) {
            st.encoding = out.get(HttpHeaders.CONTENT_ENCODING);
            out.remove(HttpHeaders.CONTENT_LENGTH);
            out.remove(HttpHeaders.CONTENT_ENCODING);
            out.remove(HttpHeaders.LAST_MODIFIED);
            out.remove(HttpHeaders.ETAG);
            if (conf.body() != null) {
                // the new body's length is known: no chunked encoding needed
                out.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(conf.body().length()));
            }
        }
        for (HeaderValue h : conf.add()) {
            out.add(h.name(), h.value().render(ctx, null, false));
        }
        for (HeaderValue h : conf.set()) {
            out.set(h.name(), h.value().render(ctx, null, false));
        }
        for (String name : conf.remove()) {
            out.remove(name);
        }
    }

    @Override
    public Buffer bodyFilter(Config conf, RequestContext ctx, Buffer chunk, boolean last) {
        State st = ctx.get(STATE);
        if (st == null || !st.matched || !conf.changesBody()) {
            return chunk;
        }
        if (conf.body() != null) {
            return last ? conf.body() : Buffer.buffer();
        }
        if (st.done) {
            return Buffer.buffer(); // truncated at max_resp_body_size
        }
        if (st.held == null) {
            st.held = Buffer.buffer(Math.min(Math.max(chunk.length(), 256), conf.maxBody()));
        }
        int room = conf.maxBody() - st.held.length();
        if (chunk.length() >= room) {
            st.held.appendBuffer(chunk, 0, room);
            st.done = true;
            LOG.warn("response-rewrite: body of route {} truncated at max_resp_body_size {} bytes",
                    ctx.route() == null ? null : ctx.route().id(), conf.maxBody());
            return apply(conf, st);
        }
        st.held.appendBuffer(chunk);
        return last ? apply(conf, st) : Buffer.buffer();
    }

    private static Buffer apply(Config conf, State st) {
        Buffer raw = st.held;
        st.held = null;
        if (st.encoding != null && !"identity".equalsIgnoreCase(st.encoding)) {
            if (!"gzip".equalsIgnoreCase(st.encoding)) {
                LOG.error("filters may not work as expected due to unsupported compression encoding type: {}",
                        st.encoding);
                return raw;
            }
            try {
                raw = gunzip(raw, conf.maxBody());
            } catch (IOException e) {
                LOG.error("filters may not work as expected: {}", e.toString());
                return raw;
            }
        }
        String body = raw.toString(StandardCharsets.UTF_8);
        for (Filter f : conf.filters()) {
            Matcher m = f.regex().matcher(body);
            try {
                body = f.global() ? m.replaceAll(f.replace()) : m.replaceFirst(f.replace());
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                LOG.error("regex \"{}\" substitutes failed: {}", f.regex().pattern(), e.getMessage());
            }
        }
        return Buffer.buffer(body);
    }

    /** Inflates at most {@code max} bytes: a compressed body may not blow the cap up. */
    private static Buffer gunzip(Buffer gz, int max) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.getBytes()))) {
            Buffer out = Buffer.buffer();
            byte[] b = new byte[8192];
            int n;
            while ((n = in.read(b)) > 0 && out.length() < max) {
                out.appendBytes(b, 0, Math.min(n, max - out.length()));
            }
            return out;
        }
    }
}
