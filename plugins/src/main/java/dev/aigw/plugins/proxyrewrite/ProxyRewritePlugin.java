package dev.aigw.plugins.proxyrewrite;

import dev.aigw.gateway.context.ProxyRequest;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.plugins.proxyrewrite.ProxyRewriteConfig.HeaderOp;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.PatternSyntaxException;

/**
 * APISIX's {@code proxy-rewrite} (priority 1008): in the rewrite phase, changes what is sent upstream
 * through {@link RequestContext#proxyRequest()} — the uri ({@code uri} template, or the first matching
 * {@code regex_uri} pair applied to the normalized path; the client's query string is appended), the
 * method, the Host ({@code host}, which wins over the upstream's {@code pass_host}) and headers
 * ({@code headers.add / set / remove}, or the older flat map meaning {@code set}). Header values may use
 * {@code $var} and the {@code regex_uri} captures {@code $1}….
 */
public final class ProxyRewritePlugin implements Plugin<ProxyRewriteConfig> {

    private static final String HEADER_VALUE = """
            {"oneOf": [{"type": "string"}, {"type": "number"},
              {"type": "array", "minItems": 1, "items": {"oneOf": [{"type": "string"}, {"type": "number"}]}}]}""";

    private static final String SCHEMA = """
            {
              "type": "object",
              "minProperties": 1,
              "properties": {
                "uri": {"type": "string", "minLength": 1, "maxLength": 4096, "pattern": "^\\\\/.*"},
                "method": {"type": "string", "enum": ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "MKCOL",
                    "COPY", "MOVE", "PROPFIND", "LOCK", "UNLOCK", "PATCH", "TRACE"]},
                "regex_uri": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                "host": {"type": "string", "pattern": "^[0-9a-zA-Z-.]+(:\\\\d{1,5})?$"},
                "headers": {
                  "oneOf": [
                    {
                      "type": "object", "minProperties": 1, "additionalProperties": false,
                      "properties": {
                        "add": {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": %1$s}},
                        "set": {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": %1$s}},
                        "remove": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+$"}}
                      }
                    },
                    {
                      "type": "object", "minProperties": 1,
                      "patternProperties": {"^[^:]+$": {"oneOf": [{"type": "string"}, {"type": "number"}]}}
                    }
                  ]
                },
                "use_real_request_uri_unsafe": {"type": "boolean", "default": false}
              }
            }
            """.formatted(HEADER_VALUE);

    @Override
    public String name() {
        return "proxy-rewrite";
    }

    @Override
    public int priority() {
        return 1008;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public ProxyRewriteConfig parseConfig(JsonObject conf) throws PluginConfigException {
        Template uri = conf.getString("uri") == null ? null : Template.compile(conf.getString("uri"), false);

        List<RegexRule> rules = new ArrayList<>();
        JsonArray regex = conf.getJsonArray("regex_uri");
        if (regex != null && !regex.isEmpty()) {
            if (regex.size() % 2 != 0) {
                throw new PluginConfigException("The length of regex_uri should be an even number");
            }
            for (int i = 0; i < regex.size(); i += 2) {
                String pattern = regex.getString(i);
                String replacement = regex.getString(i + 1);
                try {
                    rules.add(RegexRule.compile(pattern, replacement));
                } catch (PatternSyntaxException e) {
                    throw new PluginConfigException("invalid regex_uri(" + pattern + ", " + replacement + "): "
                            + e.getDescription());
                } catch (IllegalArgumentException e) {
                    throw new PluginConfigException("invalid regex_uri(" + pattern + ", " + replacement + "): "
                            + e.getMessage());
                }
            }
        }

        String methodName = conf.getString("method");
        HttpMethod method = methodName == null ? null : HttpMethod.valueOf(methodName);

        List<HeaderOp> add = new ArrayList<>();
        List<HeaderOp> set = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        JsonObject headers = conf.getJsonObject("headers");
        if (headers != null) {
            boolean structured = headers.getValue("add") instanceof JsonObject
                    || headers.getValue("set") instanceof JsonObject
                    || headers.getValue("remove") instanceof JsonArray;
            if (structured) {
                ops(headers.getJsonObject("add"), add, false);
                ops(headers.getJsonObject("set"), set, false);
                JsonArray rm = headers.getJsonArray("remove");
                if (rm != null) {
                    for (Object o : rm) {
                        remove.add(o.toString());
                    }
                }
            } else {
                ops(headers, set, true);
            }
        }
        return new ProxyRewriteConfig(uri, rules, method, conf.getString("host"), add, set, remove,
                conf.getBoolean("use_real_request_uri_unsafe", false));
    }

    private static void ops(JsonObject map, List<HeaderOp> out, boolean checkChars) throws PluginConfigException {
        if (map == null) {
            return;
        }
        for (Map.Entry<String, Object> e : map) {
            String field = e.getKey();
            Object v = e.getValue();
            if (checkChars) {
                // APISIX validates the older flat form by hand (check_set_headers)
                if (field.isEmpty()) {
                    throw new PluginConfigException("invalid field length in header");
                }
                if (!validField(field)) {
                    throw new PluginConfigException("invalid field character in header");
                }
                if (v instanceof String s && !validValue(s)) {
                    throw new PluginConfigException("invalid value character in header");
                }
            }
            List<Template> values = new ArrayList<>();
            if (v instanceof JsonArray arr) {
                for (Object item : arr) {
                    values.add(Template.compile(scalar(item), true));
                }
                out.add(new HeaderOp(field, List.copyOf(values), true));
            } else {
                values.add(Template.compile(scalar(v), true));
                out.add(new HeaderOp(field, List.copyOf(values), false));
            }
        }
    }

    /** Lua's tostring of a JSON string or number (integers without ".0"). */
    private static String scalar(Object v) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue())) {
            return Long.toString(n.longValue());
        }
        return String.valueOf(v);
    }

    private static boolean validField(String f) {
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c <= 32 || c >= 127 || c == ':') {
                return false;
            }
        }
        return true;
    }

    private static boolean validValue(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 32 || c >= 127) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Future<Void> rewrite(ProxyRewriteConfig conf, RequestContext ctx) {
        ProxyRequest pr = ctx.proxyRequest();
        if (conf.host() != null) {
            pr.host(conf.host());
        }
        String[] captures = null;
        if (conf.rewritesUri()) {
            captures = rewriteUri(conf, ctx, pr);
        }
        if (conf.rewritesHeaders()) {
            MultiMap h = pr.headers();
            for (HeaderOp op : conf.add()) {
                for (Template t : op.values()) {
                    h.add(op.name(), t.render(ctx, captures, false));
                }
            }
            for (HeaderOp op : conf.set()) {
                if (op.array()) {
                    List<String> vals = new ArrayList<>(op.values().size());
                    for (Template t : op.values()) {
                        vals.add(t.render(ctx, captures, false));
                    }
                    h.set(op.name(), vals);
                } else {
                    h.set(op.name(), op.values().get(0).render(ctx, captures, false));
                }
            }
            for (String name : conf.remove()) {
                h.remove(name);
            }
        }
        if (conf.method() != null) {
            pr.method(conf.method());
        }
        return Future.succeededFuture();
    }

    /** Returns the regex_uri captures (or null) after setting the new upstream uri. */
    private static String[] rewriteUri(ProxyRewriteConfig conf, RequestContext ctx, ProxyRequest pr) {
        String rawUri = ctx.request().uri();
        String upstreamUri;
        String queryString = "";
        if (conf.useRealRequestUriUnsafe()) {
            upstreamUri = rawUri;
            int q = rawUri.indexOf('?');
            queryString = q >= 0 ? rawUri.substring(q) : "";
        } else {
            upstreamUri = decodePath(ctx.request().path());
        }
        boolean separatorEscaped = false;
        String[] captures = null;
        if (conf.uri() != null) {
            separatorEscaped = true;
            upstreamUri = conf.uri().render(ctx, null, true);
            if (!queryString.isEmpty()) {
                upstreamUri = upstreamUri.indexOf('?') >= 0
                        ? upstreamUri + "&" + queryString.substring(1) : upstreamUri + queryString;
            }
        } else if (!conf.regexUri().isEmpty()) {
            separatorEscaped = upstreamUri.indexOf('?') < 0;
            for (RegexRule rule : conf.regexUri()) {
                RegexRule.Result r = rule.apply(upstreamUri);
                if (r != null) {
                    upstreamUri = r.uri();
                    captures = r.captures();
                    break;
                }
            }
        }
        if (!conf.useRealRequestUriUnsafe()) {
            int index = separatorEscaped ? upstreamUri.indexOf('?') : -1;
            if (index >= 0) {
                upstreamUri = escapeUri(upstreamUri.substring(0, index)) + escapeControl(upstreamUri.substring(index));
            } else {
                upstreamUri = escapeUri(upstreamUri);
            }
            String args = ctx.request().query();
            if (args != null && !args.isEmpty()) {
                upstreamUri = upstreamUri + (index >= 0 ? "&" : "?") + args;
            }
        }
        pr.uri(upstreamUri);
        return captures;
    }

    /** Percent-decodes a path to its bytes' UTF-8 text (nginx's {@code $uri}); invalid escapes stay literal. */
    static String decodePath(String path) {
        if (path == null) {
            return "/";
        }
        if (path.indexOf('%') < 0) {
            return path;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length());
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '%' && i + 2 < b.length && hex(b[i + 1]) >= 0 && hex(b[i + 2]) >= 0) {
                out.write(hex(b[i + 1]) * 16 + hex(b[i + 2]));
                i += 2;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** nginx's {@code ngx_escape_uri(NGX_ESCAPE_URI)}: space, #, %, ?, control and non-ASCII bytes. */
    static String escapeUri(String s) {
        boolean plain = true;
        for (int i = 0; i < s.length() && plain; i++) {
            plain = !needsEscape(s.charAt(i));
        }
        if (plain) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (needsEscape(c)) {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }

    private static boolean needsEscape(int c) {
        return c <= 0x20 || c >= 0x7f || c == '#' || c == '%' || c == '?';
    }

    /** Percent-encodes control characters only (the query part keeps its delimiters). */
    static String escapeControl(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
