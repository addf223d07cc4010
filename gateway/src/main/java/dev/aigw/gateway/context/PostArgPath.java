package dev.aigw.gateway.context;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.TypeRef;
import com.jayway.jsonpath.spi.json.AbstractJsonProvider;
import com.jayway.jsonpath.spi.mapper.MappingProvider;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The path of a {@code post_arg.<path>} variable, compiled once (per route build, or per logger
 * configuration), as APISIX's {@code apisix/core/ctx.lua} reads it:
 * <ul>
 * <li>a path containing {@code [}, {@code *} or {@code ..} is JSONPath {@code $.<path>}; the value is
 *     the array of every match, or nil when nothing matches
 *     ({@code messages[*].content[*].type} → {@code ["text","image_url"]});</li>
 * <li>otherwise it is keys separated by dots ({@code model}, {@code metadata.user}). aigw also accepts a
 *     1-based array index as a key ({@code messages.1.role}), which Lua tables would not find.</li>
 * </ul>
 * The body is whatever {@link RequestContext#parsedBody()} parsed by Content-Type: a JSON value, or the
 * fields of a url-encoded or multipart form.
 *
 * <p>JSONPath is evaluated by Jayway JsonPath directly over Vert.x's JSON types (no copy, no
 * re-parse). Immutable and thread-safe.
 */
public final class PostArgPath {

    private static final Configuration JSON_PATH = Configuration.builder()
            .jsonProvider(new VertxJsonProvider())
            .mappingProvider(new NoMapping())
            .options(Option.ALWAYS_RETURN_LIST, Option.SUPPRESS_EXCEPTIONS)
            .build();

    private final String path;
    private final String[] keys;
    private final JsonPath jsonPath;

    private PostArgPath(String path, String[] keys, JsonPath jsonPath) {
        this.path = path;
        this.keys = keys;
        this.jsonPath = jsonPath;
    }

    /**
     * Compiles the part after {@code post_arg.}.
     *
     * @throws IllegalArgumentException when the path is empty or not valid JSONPath (message says why)
     */
    public static PostArgPath compile(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("invalid post_arg path: empty");
        }
        if (isJsonPath(path)) {
            try {
                return new PostArgPath(path, null, JsonPath.compile("$." + path));
            } catch (InvalidPathException | IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid post_arg JSONPath '$." + path + "': " + e.getMessage());
            }
        }
        if (path.startsWith(".") || path.endsWith(".")) {
            throw new IllegalArgumentException("invalid post_arg path: '" + path + "'");
        }
        return new PostArgPath(path, path.split("\\.", -1), null);
    }

    /** APISIX's test: {@code arg_key:find("[%[%*]") or arg_key:find("..", 1, true)}. */
    public static boolean isJsonPath(String path) {
        return path.indexOf('[') >= 0 || path.indexOf('*') >= 0 || path.contains("..");
    }

    /** The text after {@code post_arg.}. */
    public String path() {
        return path;
    }

    /** True when this path is JSONPath (its value is an array of matches). */
    public boolean isJsonPath() {
        return jsonPath != null;
    }

    /** The value in a parsed body ({@link JsonObject}, {@link JsonArray}, a form's map, or null); null when absent. */
    public Object read(Object body) {
        if (body == null) {
            return null;
        }
        if (jsonPath != null) {
            if (!(body instanceof JsonObject || body instanceof JsonArray || body instanceof Map)) {
                return null;
            }
            List<Object> found = jsonPath.read(body, JSON_PATH);
            return found == null || found.isEmpty() ? null : new JsonArray(found);
        }
        Object cur = body;
        for (String key : keys) {
            if (cur instanceof JsonObject o) {
                cur = o.getValue(key);
            } else if (cur instanceof JsonArray a) {
                int idx = index(key);
                cur = idx >= 1 && idx <= a.size() ? a.getValue(idx - 1) : null; // Lua arrays: 1-based
            } else if (cur instanceof Map<?, ?> m) {
                cur = m.get(key);
            } else {
                return null;
            }
            if (cur == null) {
                return null;
            }
        }
        return cur;
    }

    private static int index(String key) {
        if (key.isEmpty() || key.length() > 9) {
            return -1;
        }
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) < '0' || key.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(key);
    }

    @Override
    public String toString() {
        return "post_arg." + path;
    }

    /** Jayway's view of Vert.x JSON: objects are JsonObject or Map, arrays JsonArray or List. */
    private static final class VertxJsonProvider extends AbstractJsonProvider {

        @Override
        public Object parse(String json) {
            return Json.decodeValue(json);
        }

        @Override
        public Object parse(InputStream in, String charset) {
            throw new UnsupportedOperationException("post_arg paths read parsed bodies only");
        }

        @Override
        public String toJson(Object obj) {
            return Json.encode(obj);
        }

        @Override
        public Object createArray() {
            return new ArrayList<>();
        }

        @Override
        public Object createMap() {
            return new JsonObject();
        }

        @Override
        public boolean isArray(Object obj) {
            return obj instanceof JsonArray || obj instanceof List;
        }

        @Override
        public boolean isMap(Object obj) {
            return obj instanceof JsonObject || obj instanceof Map;
        }

        @Override
        public int length(Object obj) {
            if (obj instanceof JsonArray a) {
                return a.size();
            }
            if (obj instanceof JsonObject o) {
                return o.size();
            }
            return super.length(obj);
        }

        @Override
        public Iterable<?> toIterable(Object obj) {
            if (obj instanceof JsonArray a) {
                List<Object> out = new ArrayList<>(a.size());
                for (int i = 0; i < a.size(); i++) {
                    out.add(a.getValue(i)); // wrapped: nested maps and lists as JsonObject / JsonArray
                }
                return out;
            }
            if (obj instanceof JsonObject o) {
                List<Object> out = new ArrayList<>(o.size());
                for (String k : o.fieldNames()) {
                    out.add(o.getValue(k));
                }
                return out;
            }
            return super.toIterable(obj);
        }

        @Override
        public Collection<String> getPropertyKeys(Object obj) {
            if (obj instanceof JsonObject o) {
                return o.fieldNames();
            }
            return super.getPropertyKeys(obj);
        }

        @Override
        public Object getArrayIndex(Object obj, int idx) {
            if (obj instanceof JsonArray a) {
                return a.getValue(idx);
            }
            return super.getArrayIndex(obj, idx);
        }

        @Override
        public Object getMapValue(Object obj, String key) {
            if (obj instanceof JsonObject o) {
                return o.containsKey(key) ? o.getValue(key) : UNDEFINED;
            }
            return super.getMapValue(obj, key);
        }

        @Override
        public void setProperty(Object obj, Object key, Object value) {
            // Jayway builds its result containers through the provider
            if (obj instanceof JsonObject o) {
                o.put(String.valueOf(key), value);
            } else {
                super.setProperty(obj, key, value);
            }
        }
    }

    /** Results are used as they are: no mapping to Java types is ever asked for. */
    private static final class NoMapping implements MappingProvider {
        @Override
        public <T> T map(Object source, Class<T> targetType, Configuration configuration) {
            return targetType.cast(source);
        }

        @Override
        public <T> T map(Object source, TypeRef<T> targetType, Configuration configuration) {
            throw new UnsupportedOperationException("no type mapping");
        }
    }
}
