package dev.aigw.gateway.context;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses a request body once, as APISIX's {@code core.request.get_request_body_table} does for
 * {@code post_arg.*}: by Content-Type, {@code application/json} → the JSON value,
 * {@code application/x-www-form-urlencoded} → its fields, {@code multipart/form-data} → each part's
 * name and text; any other type (or none) → no value. Also {@link #json}: the body as JSON whatever the
 * Content-Type, as APISIX's AI plugins read it ({@code get_json_request_body_table}).
 */
final class BodyParser {

    /** Parts of a multipart body kept, at most (a form is small; a hostile one is not kept whole). */
    private static final int MAX_PARTS = 1000;

    private BodyParser() {
    }

    /** The body by Content-Type (see the class comment); null when none or unparseable. */
    static Object parse(String contentType, Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (ct.contains("application/json")) {
            // objects without Jackson's string-length limit (a body is capped when read); other JSON as usual
            JsonObject o = JsonBodies.parseObject(body);
            if (o != null) {
                return o;
            }
            try {
                return Json.decodeValue(body);
            } catch (RuntimeException e) {
                return null;
            }
        }
        if (ct.contains("application/x-www-form-urlencoded")) {
            return parseForm(body.toString(StandardCharsets.UTF_8));
        }
        if (ct.contains("multipart/form-data")) {
            return parseMultipart(contentType, body);
        }
        return null;
    }

    /** The body as a JSON object whatever the Content-Type (AI clients often omit or misstate it). */
    static JsonObject json(Buffer body) {
        if (body == null || body.length() == 0 || firstNonSpace(body) != '{') {
            return null;
        }
        return JsonBodies.parseObject(body);
    }

    private static byte firstNonSpace(Buffer b) {
        for (int i = 0; i < b.length(); i++) {
            byte c = b.getByte(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return c;
            }
        }
        return 0;
    }

    private static Map<String, String> parseForm(String s) {
        Map<String, String> out = new HashMap<>();
        for (String pair : s.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return out;
    }

    /**
     * Each part's name → its content as text (a file part too, as lua-multipart's {@code get_all}); the
     * first part of a name wins. Netty's decoder, kept in memory: the body is already in memory and capped.
     */
    private static Map<String, String> parseMultipart(String contentType, Buffer body) {
        ByteBuf content = Unpooled.wrappedBuffer(body.getBytes());
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/", content);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpPostMultipartRequestDecoder decoder = null;
        try {
            decoder = new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), req, StandardCharsets.UTF_8);
            Map<String, String> out = new LinkedHashMap<>();
            for (InterfaceHttpData d : decoder.getBodyHttpDatas()) {
                if (out.size() >= MAX_PARTS) {
                    break;
                }
                if (d instanceof Attribute a) {
                    out.putIfAbsent(a.getName(), a.getValue());
                } else if (d instanceof FileUpload f) {
                    out.putIfAbsent(f.getName(), f.getString(StandardCharsets.UTF_8));
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return null; // not a valid multipart body: no value, as APISIX
        } finally {
            if (decoder != null) {
                decoder.destroy();
            }
        }
    }
}
