package dev.aigw.testkit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A whole HTTP response as a test sees it.
 *
 * @param status  status code
 * @param headers response headers, case-insensitive keys
 * @param body    body as UTF-8 text
 * @param json    the body parsed as a {@link JsonObject} or {@link JsonArray}, or {@code null} if it is not JSON
 */
public record HttpResult(int status, Map<String, List<String>> headers, String body, Object json) {

    /** Builds a result, parsing the body as JSON when it is JSON. */
    public static HttpResult of(int status, Map<String, List<String>> headers, String body) {
        Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> h.put(k, List.copyOf(v)));
        return new HttpResult(status, Collections.unmodifiableMap(h), body, parse(body));
    }

    private static Object parse(String body) {
        String t = body == null ? "" : body.strip();
        if (!(t.startsWith("{") || t.startsWith("["))) {
            return null;
        }
        try {
            Object v = Json.decodeValue(t);
            return v instanceof JsonObject || v instanceof JsonArray ? v : null;
        } catch (DecodeException e) {
            return null;
        }
    }

    /** First value of a header (case-insensitive), or {@code null}. */
    public String header(String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** The body as a JSON object; fails with the body in the message if it is not one. */
    public JsonObject jsonObject() {
        if (json instanceof JsonObject o) {
            return o;
        }
        throw new AssertionError("expected a JSON object body, got " + status + ": " + body);
    }

    /** The body as a JSON array; fails with the body in the message if it is not one. */
    public JsonArray jsonArray() {
        if (json instanceof JsonArray a) {
            return a;
        }
        throw new AssertionError("expected a JSON array body, got " + status + ": " + body);
    }

    @Override
    public String toString() {
        return "HTTP " + status + " " + body;
    }
}
