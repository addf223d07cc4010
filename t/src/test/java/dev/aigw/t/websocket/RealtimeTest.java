package dev.aigw.t.websocket;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * OpenAI's Realtime API through an ai-proxy route with {@code enable_websocket}: the provider key is
 * injected, the client's is not passed, {@code OpenAI-Beta} is, and the session's token usage (from
 * {@code response.done}) is in the access log line written at close.
 */
class RealtimeTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create()
            .config(c -> c.set("nginx_config.http.access_log_format",
                    "$request_uri $status $request_type $llm_model $llm_prompt_tokens $llm_completion_tokens $upstream_uri"));

    static Vertx vertx;
    static WebSocketClient client;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createWebSocketClient();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static GatewayProcess gw() {
        return ENV.gateway();
    }

    static MockLlm mock() {
        return ENV.mock();
    }

    static void route(String id, String uri, JsonObject aiProxy) {
        JsonObject r = new JsonObject().put("uri", uri).put("enable_websocket", true)
                .put("plugins", new JsonObject().put("ai-proxy", aiProxy));
        HttpResult put = gw().admin("PUT", "/routes/" + id, r.encode());
        assertTrue(put.status() == 200 || put.status() == 201, put.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gw().http("GET", uri, null).body().contains("Route Not Found")) {
            if (System.nanoTime() - deadline > 0) {
                fail(uri + " not live");
            }
            sleep(50);
        }
    }

    /** A session whose text messages go to {@code events} from the first one on (handlers set before the handshake). */
    static WebSocket connect(LinkedBlockingQueue<String> events, String uri, String... headers) throws Exception {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(gw().config().nodePort()).setURI(uri);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            o.addHeader(headers[i], headers[i + 1]);
        }
        io.vertx.core.http.ClientWebSocket ws = client.webSocket();
        ws.textMessageHandler(events::add);
        ws.connect(o).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return ws;
    }

    static JsonObject next(LinkedBlockingQueue<String> q) throws InterruptedException {
        String m = q.poll(10, TimeUnit.SECONDS);
        assertNotNull(m, "an event within 10 s");
        return new JsonObject(m);
    }

    static String awaitAccessLine(String needle) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = gw().accessLogLines();
            for (String l : lines) {
                if (l.contains(needle)) {
                    return l;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                return fail("no access log line with " + needle + " in " + lines);
            }
            sleep(50);
        }
    }

    @Test
    void realtimeSessionWithTheProviderKeyAndUsageInTheLog() throws Exception {
        route("rt-openai", "/v1/realtime", new JsonObject().put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-provider-key")))
                .put("override", new JsonObject().put("endpoint", mock().url() + "/v1/realtime")));
        mock().usage(31, 9);
        LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        WebSocket ws = connect(events, "/v1/realtime?model=gpt-4o-realtime-preview&session=a1",
                "Authorization", "Bearer client-own-key", "OpenAI-Beta", "realtime=v1");
        CompletableFuture<Short> closed = new CompletableFuture<>();
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));

        JsonObject created = next(events);
        assertEquals("session.created", created.getString("type"));
        assertEquals("gpt-4o-realtime-preview", created.getJsonObject("session").getString("model"));

        // what the provider saw: its key, not the client's; OpenAI-Beta and the model passed
        MockLlm.RecordedRequest up = mock().requests(MockLlm.Kind.REALTIME).get(0);
        assertEquals("Bearer sk-provider-key", up.header("Authorization"));
        assertEquals("realtime=v1", up.header("OpenAI-Beta"));
        assertEquals("gpt-4o-realtime-preview", up.queryParam("model"));
        assertEquals("a1", up.queryParam("session"));
        assertFalse(up.headers().toString().contains("client-own-key"), "the client's key is not passed on");

        ws.writeTextMessage(new JsonObject().put("type", "response.create")
                .put("response", new JsonObject().put("modalities", new io.vertx.core.json.JsonArray().add("text"))).encode());
        StringBuilder text = new StringBuilder();
        JsonObject ev;
        do {
            ev = next(events);
            if ("response.text.delta".equals(ev.getString("type"))) {
                text.append(ev.getString("delta"));
            }
        } while (!"response.done".equals(ev.getString("type")));
        assertEquals("Hello from the mock LLM.", text.toString());
        assertEquals(40, ev.getJsonObject("response").getJsonObject("usage").getInteger("total_tokens"));
        assertEquals("response.create", mock().realtimeEvents().get(0).getString("type"));

        // a second response in the same session: the log sums the session's usage
        ws.writeTextMessage(new JsonObject().put("type", "response.create").encode());
        do {
            ev = next(events);
        } while (!"response.done".equals(ev.getString("type")));

        ws.close((short) 1000).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals((short) 1000, closed.get(10, TimeUnit.SECONDS));
        String line = awaitAccessLine("session=a1");
        assertEquals("/v1/realtime?model=gpt-4o-realtime-preview&session=a1 101 ai_stream gpt-4o-realtime-preview 62 18 /v1/realtime",
                line.trim());
    }

    @Test
    void optionsModelAndQueryAuthForAnAzureStyleEndpoint() throws Exception {
        route("rt-azure", "/openai/realtime", new JsonObject().put("provider", "azure-openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("api-key", "azure-provider-key")))
                .put("override", new JsonObject().put("endpoint",
                        mock().url() + "/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-rt")));
        LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        WebSocket ws = connect(events, "/openai/realtime?api-key=client-key", "api-key", "client-key");
        assertEquals("session.created", next(events).getString("type"));
        MockLlm.RecordedRequest up = mock().requests(MockLlm.Kind.REALTIME).get(0);
        assertEquals("azure-provider-key", up.header("api-key"));
        assertEquals("2024-10-01-preview", up.queryParam("api-version"));
        assertEquals("gpt-4o-rt", up.queryParam("deployment"));
        assertNull(up.queryParam("model"), "Azure picks the model by its deployment");
        assertFalse(up.query().contains("client-key"), "the client's key query parameter is not passed: " + up.query());
        ws.close();

        route("rt-model", "/v1/rt-model", new JsonObject().put("provider", "openai-compatible")
                .put("auth", new JsonObject().put("query", new JsonObject().put("key", "q-provider-key")))
                .put("options", new JsonObject().put("model", "gpt-realtime"))
                .put("override", new JsonObject().put("endpoint", mock().url() + "/v1/realtime")));
        LinkedBlockingQueue<String> events2 = new LinkedBlockingQueue<>();
        WebSocket ws2 = connect(events2, "/v1/rt-model?model=client-choice");
        assertEquals("gpt-realtime", next(events2).getJsonObject("session").getString("model"));
        MockLlm.RecordedRequest up2 = mock().requests(MockLlm.Kind.REALTIME).get(1);
        assertEquals("gpt-realtime", up2.queryParam("model"), "options.model wins over the client's");
        assertEquals("q-provider-key", up2.queryParam("key"));
        ws2.close();
    }

    @Test
    void providerRefusalAndAProviderWithoutRealtime() throws Exception {
        route("rt-anthropic", "/v1/rt-anthropic", new JsonObject().put("provider", "anthropic")
                .put("auth", new JsonObject().put("header", new JsonObject().put("x-api-key", "k"))));
        try {
            connect(new LinkedBlockingQueue<>(), "/v1/rt-anthropic");
            fail("upgraded");
        } catch (ExecutionException e) {
            UpgradeRejectedException r = assertInstanceOf(UpgradeRejectedException.class, e.getCause());
            assertEquals(400, r.getStatus());
            assertTrue(r.getBody().toString().contains("does not support the Realtime API"), r.getBody().toString());
        }
        assertTrue(mock().requests(MockLlm.Kind.REALTIME).isEmpty());
    }
}
