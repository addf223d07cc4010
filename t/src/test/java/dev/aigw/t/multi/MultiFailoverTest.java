package dev.aigw.t.multi;

import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.MockLlm.Kind;
import dev.aigw.testkit.Ports;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static dev.aigw.t.multi.MultiEnv.conf;
import static dev.aigw.t.multi.MultiEnv.inst;
import static dev.aigw.t.multi.MultiEnv.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failover from the top instance to the next (chat and streams), the point after which a stream is
 * the client's, every instance down, and retries with each backoff.
 */
class MultiFailoverTest {

    @RegisterExtension
    static final MultiEnv env = new MultiEnv();

    static final String CHAT = "{\"model\":\"client-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    MockLlm top;
    MockLlm next;

    @BeforeEach
    void mocks() {
        // fresh mocks per test: new addresses, so no health state is shared with another test
        top = new MockLlm().content("answer from top");
        next = new MockLlm().content("answer from next");
    }

    @AfterEach
    void close() {
        top.close();
        next.close();
    }

    private static void assertServedByNextAfterTop(MultiEnv.LogLine log) {
        assertEquals("next", log.instance(), log.toString());
        assertEquals("2", log.attempts(), log.toString());
        assertEquals("model-next", log.model(), log.toString());
        assertEquals(200, log.status(), log.toString());
        assertTrue(log.upstreamStatus().endsWith("200"), log.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"429", "500", "timeout", "refused"})
    void topInstanceFailsAndTheNextAnswers(String failure) {
        String id = "fo-" + failure;
        String topUrl = top.url();
        switch (failure) {
            case "429" -> top.status(429);
            case "500" -> top.status(500);
            case "timeout" -> top.headerDelay(Duration.ofSeconds(5));
            default -> topUrl = "http://127.0.0.1:" + Ports.free(); // nobody listens there
        }
        env.route(id, conf(inst("top", topUrl, 1, 1), inst("next", next, 0, 1)).put("timeout", 500));

        assertEquals("answer from next", env.chat(id, id));
        assertEquals(failure.equals("refused") ? 0 : 1, top.count(Kind.CHAT));
        assertEquals(1, next.count(Kind.CHAT), "one answer, from next");
        assertEquals("model-next", next.lastRequest().json().getString("model"));
        assertEquals("Bearer sk-next", next.lastRequest().header("Authorization"));
        assertServedByNextAfterTop(env.log(id));
    }

    @Test
    void streamFailsOverBeforeTheFirstByte() {
        top.status(500);
        env.route("fo-stream", conf(inst("top", top, 1, 1), inst("next", next, 0, 1)));
        List<ChatCompletionChunk> chunks = env.stream("fo-stream", "fo-stream");
        assertEquals("answer from next", text(chunks));
        assertTrue(chunks.stream().flatMap(c -> c.choices().stream()).anyMatch(ch -> ch.finishReason().isPresent()),
                "the whole stream, up to its finish reason");
        assertEquals(1, top.count(Kind.CHAT));
        assertEquals(1, next.count(Kind.CHAT));
        assertServedByNextAfterTop(env.log("fo-stream"));
    }

    /** A 200 head and then death before the first event (or body byte): nothing was sent, so fail over. */
    @ParameterizedTest
    @ValueSource(strings = {"text/event-stream", "application/json"})
    void headThenDeathBeforeTheFirstEventFailsOver(String contentType) {
        boolean sse = contentType.startsWith("text/");
        String id = sse ? "fo-head-sse" : "fo-head-json";
        try (HeadThenDie dying = new HeadThenDie(contentType)) {
            env.route(id, conf(inst("top", dying.url(), 1, 1), inst("next", next, 0, 1)));
            String answer = sse ? text(env.stream(id, id)) : env.chat(id, id);
            assertEquals("answer from next", answer);
            assertEquals(1, dying.requests());
            assertEquals(1, next.count(Kind.CHAT));
            assertServedByNextAfterTop(env.log(id));
        }
    }

    /** Deaths before the first event count as failures of the instance: enough of them take it out. */
    @Test
    void deathsBeforeTheFirstEventTakeTheInstanceOut() {
        JsonObject passive = new JsonObject().put("passive", new JsonObject()
                .put("unhealthy", new JsonObject().put("failures", 2)));
        try (HeadThenDie dying = new HeadThenDie("text/event-stream")) {
            env.route("fo-head-out", conf(inst("top", dying.url(), 1, 1).put("checks", passive),
                    inst("next", next, 0, 1)));
            for (int i = 1; i <= 3; i++) {
                assertEquals("answer from next", text(env.stream("fo-head-out", "fo-head-out-" + i)));
            }
            assertEquals("2", env.log("fo-head-out-1").attempts());
            assertEquals("2", env.log("fo-head-out-2").attempts());
            assertEquals("1", env.log("fo-head-out-3").attempts(), "top is out after two failures in a row");
            assertEquals(2, dying.requests());
        }
    }

    /**
     * Once the first event reached the client there is no failover: the client gets what came and a
     * clean end. MockLlm's {@code dieAfterChunks(0)} sends the role chunk (an event) and dies.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void noFailoverAfterTheFirstEvent(int contentChunks) {
        String id = "fo-after-" + contentChunks;
        top.content("abcdefgh").chunks(4).dieAfterChunks(contentChunks);
        env.route(id, conf(inst("top", top, 1, 1), inst("next", next, 0, 1)));
        List<ChatCompletionChunk> chunks = env.stream(id, id); // ends without an exception
        assertEquals(contentChunks == 0 ? "" : "abcd", text(chunks));
        assertEquals(1 + contentChunks, chunks.size(), "the role chunk and the content chunks sent before dying");
        assertEquals("assistant", chunks.get(0).choices().get(0).delta().role().map(Object::toString).orElse(""));
        assertEquals(1, top.count(Kind.CHAT));
        assertEquals(0, next.count(Kind.CHAT), "no second answer after the first event");
        MultiEnv.LogLine log = env.log(id);
        assertEquals("top", log.instance(), log.toString());
        assertEquals("1", log.attempts(), log.toString());
        assertEquals(200, log.status(), log.toString());
    }

    @Test
    void everyInstanceDownGivesAClearError() {
        top.status(500);
        next.status(500);
        env.route("down", conf(inst("top", top, 1, 1), inst("next", next, 0, 1)));
        HttpResult r = env.gw.http("POST", "/down/v1/chat/completions", CHAT, "X-Tag", "down");
        assertEquals(500, r.status(), r.toString());
        JsonObject body = r.jsonObject();
        assertEquals("no AI instance could answer the request after 2 attempts (last: status 500)",
                body.getString("error_msg"));
        assertEquals(new JsonArray()
                        .add(new JsonObject().put("instance", "top").put("status", 500))
                        .add(new JsonObject().put("instance", "next").put("status", 500)),
                body.getJsonArray("attempts"));
        assertEquals(1, top.count(Kind.CHAT));
        assertEquals(1, next.count(Kind.CHAT));
        MultiEnv.LogLine log = env.log("down");
        assertEquals("next", log.instance(), "the last instance tried");
        assertEquals("2", log.attempts());
        assertEquals(500, log.status());
        assertTrue(log.upstreamStatus().endsWith("500"), log.toString());

        // the SDK sees the error as such (no retries on its side)
        assertThrows(InternalServerException.class, () -> env.chat("down", "down-sdk"));

        env.route("gone", conf(inst("gone1", "http://127.0.0.1:" + Ports.free(), 1, 1),
                inst("gone2", "http://127.0.0.1:" + Ports.free(), 0, 1)));
        HttpResult gone = env.gw.http("POST", "/gone/v1/chat/completions", CHAT, "X-Tag", "gone");
        assertEquals(502, gone.status(), gone.toString());
        assertEquals("no AI instance could answer the request after 2 attempts (last: failed to connect to "
                + "the LLM server)", gone.jsonObject().getString("error_msg"));
        assertEquals(2, gone.jsonObject().getJsonArray("attempts").size());
        assertEquals(502, env.log("gone").status());
    }

    /**
     * Retries on one instance with each backoff: attempts are counted at the mock; the waits between
     * them are checked as lower bounds only (a busy machine makes them longer, never shorter).
     */
    @ParameterizedTest
    @CsvSource({"constant,100,100,100", "linear,100,200,300", "exponential,100,200,400"})
    void retriesWithEachBackoff(String backoff, long wait1, long wait2, long wait3) {
        String id = "retry-" + backoff;
        top.content("answer from solo").failNext(3, 500);
        env.route(id, conf(inst("solo", top, 0, 1)).put("max_attempts", 4).put("retry_delay", 100)
                .put("backoff", backoff));
        assertEquals("answer from solo", env.chat(id, id));
        List<MockLlm.RecordedRequest> calls = top.requests(Kind.CHAT);
        assertEquals(4, calls.size(), "three failures and the answer");
        long[] min = {wait1, wait2, wait3};
        for (int i = 1; i < 4; i++) {
            long gap = Duration.between(calls.get(i - 1).receivedAt(), calls.get(i).receivedAt()).toMillis();
            assertTrue(gap >= min[i - 1] - 15, backoff + ": wait before attempt " + (i + 1) + " was " + gap + " ms");
        }
        MultiEnv.LogLine log = env.log(id);
        assertEquals("solo", log.instance());
        assertEquals("4", log.attempts());
        assertEquals(200, log.status());

        // with the attempts used up, the client gets the error
        top.reset().status(500);
        HttpResult r = env.gw.http("POST", "/" + id + "/v1/chat/completions", CHAT, "X-Tag", id + "-out");
        assertEquals(500, r.status(), r.toString());
        assertEquals(4, top.count(Kind.CHAT), "max_attempts in all");
        assertEquals("4", env.log(id + "-out").attempts());
    }

}
