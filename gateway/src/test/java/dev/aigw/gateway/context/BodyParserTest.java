package dev.aigw.gateway.context;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The body post_arg.* reads, by Content-Type as APISIX's get_request_body_table. */
class BodyParserTest {

    private static Object parse(String ct, String body) {
        return BodyParser.parse(ct, Buffer.buffer(body));
    }

    @Test
    void jsonByContentType() {
        assertEquals(new JsonObject().put("model", "m"), parse("application/json; charset=utf-8", "{\"model\":\"m\"}"));
        assertEquals(new JsonArray().add(1), parse("Application/JSON", "[1]"), "any JSON value, type case-insensitive");
        assertNull(parse("application/json", "{broken"));
    }

    @Test
    void otherTypesHaveNoValue() {
        assertNull(parse(null, "{\"model\":\"m\"}"), "no Content-Type: no value (APISIX: unsupported content-type)");
        assertNull(parse("text/plain", "{\"model\":\"m\"}"));
        // the AI plugins' own view reads JSON whatever the type
        assertEquals("m", BodyParser.json(Buffer.buffer(" {\"model\":\"m\"}")).getString("model"));
    }

    @Test
    void urlEncodedForm() {
        assertEquals(Map.of("a", "1 2", "b", "x"), parse("application/x-www-form-urlencoded", "a=1+2&b=x&a=3"));
    }

    @Test
    void multipartForm() {
        String body = "--XyZ\r\n"
                + "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
                + "whisper-1\r\n"
                + "--XyZ\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n"
                + "hello\r\n"
                + "--XyZ--\r\n";
        Object parsed = parse("multipart/form-data; boundary=XyZ", body);
        assertInstanceOf(Map.class, parsed);
        assertEquals("whisper-1", ((Map<?, ?>) parsed).get("model"));
        assertEquals("hello", ((Map<?, ?>) parsed).get("file"));
        assertEquals("whisper-1", PostArgPath.compile("model").read(parsed));
        assertNull(PostArgPath.compile("model").read(parse("multipart/form-data; boundary=XyZ", "not multipart at all")));
    }
}
