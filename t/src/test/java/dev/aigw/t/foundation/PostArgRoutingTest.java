package dev.aigw.t.foundation;

import dev.aigw.testkit.HttpResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code post_arg.*} exactly as APISIX (issue #11): a path with {@code [}, {@code *} or {@code ..} is
 * JSONPath whose value is the array of matches, so vision requests can be routed apart; the body is
 * read by its Content-Type (JSON, url-encoded, multipart; any other type has no value). Not store
 * dependent: the built-in store.
 */
class PostArgRoutingTest extends StoreTestBase {

    private static final String VISION = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":["
            + "{\"type\":\"text\",\"text\":\"what is in this picture?\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]}";
    private static final String TEXT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    @Override
    boolean useEtcd() {
        return false;
    }

    @BeforeAll
    void routes() {
        // the vision route wins by priority when its vars hold; the other one takes the rest
        put("/routes/vision", new JsonObject().put("uri", "/v1/chat/completions").put("priority", 10)
                .put("vars", new JsonArray().add(new JsonArray().add("post_arg.messages[*].content[*].type")
                        .add("has").add("image_url")))
                .put("upstream", new JsonObject(upstream(0, "vision"))).encode());
        put("/routes/text", new JsonObject().put("uri", "/v1/chat/completions")
                .put("upstream", new JsonObject(upstream(0, "text"))).encode());
        put("/routes/whisper", new JsonObject().put("uri", "/v1/audio/transcriptions").put("priority", 10)
                .put("vars", new JsonArray().add(new JsonArray().add("post_arg.model").add("==").add("whisper-1")))
                .put("upstream", new JsonObject(upstream(0, "whisper"))).encode());
        put("/routes/audio", new JsonObject().put("uri", "/v1/audio/transcriptions")
                .put("upstream", new JsonObject(upstream(0, "audio"))).encode());
    }

    private String servedBy(String path, String body, String contentType) {
        HttpResult r = gw.http("POST", path, body, "Content-Type", contentType);
        assertEquals(200, r.status(), r.toString());
        return r.header("X-Echo-Host");
    }

    @Test
    void visionRequestsAreRoutedByJsonPath() {
        assertEquals("vision", servedBy("/v1/chat/completions", VISION, "application/json"));
        assertEquals("text", servedBy("/v1/chat/completions", TEXT, "application/json"));
        assertEquals("text", servedBy("/v1/chat/completions", VISION, "text/plain"),
                "another Content-Type: post_arg has no value, as in APISIX");
    }

    @Test
    void anInvalidJsonPathIsRefusedAtWriteTime() {
        HttpResult r = gw.admin("PUT", "/routes/bad-path", new JsonObject().put("uri", "/bad")
                .put("vars", new JsonArray().add(new JsonArray().add("post_arg.messages[*.type").add("has").add("x")))
                .put("upstream", new JsonObject(upstream(0, "bad"))).encode());
        assertEquals(400, r.status(), r.toString());
        assertContains(r.jsonObject().getString("error_msg"), "failed to validate the 'vars' expression: invalid post_arg JSONPath",
                "the error names the path");
        assertEquals(404, gw.admin("GET", "/routes/bad-path", null).status());
    }

    @Test
    void formsAreReadByContentType() {
        String multipart = "--b0undary\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
                + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\nRIFF....\r\n--b0undary--\r\n";
        assertEquals("whisper", servedBy("/v1/audio/transcriptions", multipart, "multipart/form-data; boundary=b0undary"));
        assertEquals("whisper", servedBy("/v1/audio/transcriptions", "model=whisper-1&language=en",
                "application/x-www-form-urlencoded"));
        assertEquals("audio", servedBy("/v1/audio/transcriptions", "model=tts-1", "application/x-www-form-urlencoded"));
    }
}
