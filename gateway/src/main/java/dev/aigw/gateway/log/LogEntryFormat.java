package dev.aigw.gateway.log;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.route.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A custom {@code log_format} (plugin configuration or plugin metadata), compiled once: a JSON object
 * whose string values starting with {@code $} name a variable ({@code "$remote_addr"}), other values
 * being literals, nested objects allowed up to five levels (deeper ones become empty objects, as in
 * APISIX). {@code $request_body} is the request body cut to {@code max_req_body_bytes}.
 *
 * <p>Rendering adds {@code route_id} and {@code service_id} of the matched route, as APISIX does.
 * Variables that would show a secret header ({@code $http_authorization}, {@code $http_x_api_key}
 * …) render masked.
 */
public final class LogEntryFormat {

    /** APISIX's {@code MAX_LOG_FORMAT_DEPTH}. */
    public static final int MAX_DEPTH = 5;

    private sealed interface Node permits Var, Literal, Nested {
    }

    private record Var(String name, boolean masked) implements Node {
    }

    private record Literal(Object value) implements Node {
    }

    private record Nested(LogEntryFormat format) implements Node {
    }

    private record Field(String key, Node node) {
    }

    private final List<Field> fields;

    private LogEntryFormat(List<Field> fields) {
        this.fields = fields;
    }

    /** Compiles a {@code log_format} object. */
    public static LogEntryFormat compile(JsonObject format) {
        return compile(format, 1);
    }

    private static LogEntryFormat compile(JsonObject format, int depth) {
        List<Field> fields = new ArrayList<>(format.size());
        for (Map.Entry<String, Object> e : format) {
            Object v = e.getValue();
            Node node;
            if (v instanceof JsonObject || v instanceof Map<?, ?>) {
                JsonObject nested = v instanceof JsonObject j ? j : new JsonObject(castMap(v));
                node = depth >= MAX_DEPTH ? new Literal(new JsonObject()) : new Nested(compile(nested, depth + 1));
            } else if (v instanceof String s && s.startsWith("$")) {
                String name = s.substring(1);
                node = new Var(name, isSecretVar(name));
            } else {
                node = new Literal(v);
            }
            fields.add(new Field(e.getKey(), node));
        }
        return new LogEntryFormat(List.copyOf(fields));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object v) {
        return (Map<String, Object>) v;
    }

    private static boolean isSecretVar(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.startsWith("http_") && LogEntry.isMasked(n.substring(5).replace('_', '-'));
    }

    /** Renders the entry for one request (plus {@code route_id} / {@code service_id}). */
    public JsonObject render(RequestContext ctx, int maxReqBodyBytes) {
        JsonObject entry = renderFields(ctx, maxReqBodyBytes);
        Route route = ctx.route();
        if (route != null) {
            Object sid = route.definition() == null ? null : route.definition().getValue("service_id");
            String serviceId = sid == null ? null : String.valueOf(sid);
            if (serviceId != null) {
                entry.put("service_id", serviceId);
            }
            entry.put("route_id", route.id());
        }
        return entry;
    }

    /** Renders only the declared fields (no {@code route_id} / {@code service_id}): for {@code log_format_extra}. */
    public JsonObject renderFields(RequestContext ctx, int maxReqBodyBytes) {
        JsonObject out = new JsonObject();
        for (Field f : fields) {
            Object value;
            if (f.node instanceof Var v) {
                if ("request_body".equals(v.name)) {
                    value = LogEntry.requestBody(ctx, maxReqBodyBytes);
                } else {
                    value = jsonValue(ctx.var(v.name));
                    if (value != null && v.masked) {
                        value = LogEntry.MASK;
                    }
                }
            } else if (f.node instanceof Nested n) {
                value = n.format.renderFields(ctx, maxReqBodyBytes);
            } else {
                value = ((Literal) f.node).value;
            }
            if (value != null) {
                out.put(f.key, value);
            }
        }
        return out;
    }

    private static Object jsonValue(Object v) {
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean
                || v instanceof JsonObject || v instanceof JsonArray) {
            return v;
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
            return v;
        }
        return v.toString();
    }
}
