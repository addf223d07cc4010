package dev.aigw.plugins.httplogger;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** APISIX's batch encodings for http-logger. */
class HttpLoggerPluginTest {

    private final List<Object> two = List.of(new JsonObject().put("a", 1), new JsonObject().put("b", 2));

    @Test
    void jsonIsAnArrayOrASingleObject() {
        assertEquals("[{\"a\":1},{\"b\":2}]", HttpLoggerPlugin.encode(two, 10, false));
        assertEquals("{\"a\":1}", HttpLoggerPlugin.encode(List.of(two.get(0)), 1, false));
    }

    @Test
    void newLineIsOneObjectPerLine() {
        assertEquals("{\"a\":1}\n{\"b\":2}", HttpLoggerPlugin.encode(two, 10, true));
    }
}
