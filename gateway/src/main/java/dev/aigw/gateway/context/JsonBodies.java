package dev.aigw.gateway.context;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.util.Map;

/**
 * Parses request bodies as JSON objects without Jackson's default 20 M-character string limit: a body is
 * already capped while it is read ({@code max_req_body_size}, {@code client_max_body_size}), so a long
 * string inside it (a base64 image, a long document) must parse, not fail as "invalid JSON" with a
 * misleading 400. Nesting depth keeps Jackson's default limit (1000).
 */
final class JsonBodies {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private JsonBodies() {
    }

    /** The body as a JSON object, or null when it is not one (invalid JSON, an array, too deep). */
    static JsonObject parseObject(Buffer body) {
        try (JsonParser p = FACTORY.createParser((java.io.InputStream) new ByteBufInputStream(((BufferInternal) body).getByteBuf()))) {
            Object v = JacksonCodec.fromParser(p, Object.class);
            if (v instanceof JsonObject o) {
                return o;
            }
            if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) m;
                return new JsonObject(map);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
