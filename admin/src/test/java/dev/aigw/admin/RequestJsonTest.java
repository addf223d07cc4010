package dev.aigw.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Syntax errors in lua-cjson's words, as APISIX's Admin API reports them. */
class RequestJsonTest {

    private static String err(String text) {
        return assertThrows(RequestJson.SyntaxError.class, () -> RequestJson.decode(text)).getMessage();
    }

    @Test
    void messagesAsCjson() {
        assertEquals("Expected value but found invalid token at character 1", err("abc"));
        assertEquals("Expected object key string but found invalid token at character 2", err("{a:1}"));
        assertEquals("Expected object key string but found T_OBJ_BEGIN at character 2", err("{{"));
        assertEquals("Expected colon but found T_STRING at character 8", err("{\"uri\" \"/a\"}"));
        assertEquals("Expected comma or object end but found T_END at character 9", err("{\"a\":1  "));
        assertEquals("Expected comma or array end but found T_NUMBER at character 4", err("[1 2]"));
        assertEquals("Expected the end but found T_STRING at character 3", err("1 \"x\""));
        assertEquals("Expected value but found invalid number at character 2", err("[01]"));
        assertEquals("Expected value but found T_END at character 3", err("  "));
    }

    @Test
    void validJsonDecodes() throws Exception {
        assertEquals(new JsonObject().put("a", new JsonArray().add(1).add("x")), RequestJson.decode("{\"a\":[1,\"x\"]}"));
        assertEquals("s", RequestJson.decode("\"s\""));
    }
}
