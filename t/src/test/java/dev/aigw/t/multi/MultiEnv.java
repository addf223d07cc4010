package dev.aigw.t.multi;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.aigw.testkit.GatewayConfig;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One gateway process for a test class ({@code @RegisterExtension static final MultiEnv env = new MultiEnv();}), with an access log that names the serving instance and the
 * attempt count of each request (tagged by the client's {@code X-Tag} header), and OpenAI SDK
 * clients per route.
 */
final class MultiEnv implements BeforeAllCallback, AfterAllCallback, TestWatcher {

    /** Fields of an access log line, space-separated. */
    static final String LOG_FORMAT =
            "$http_x_tag $ai_proxy_multi_instance $ai_proxy_multi_attempts $llm_model $upstream_status $status";

    /** One access log line. */
    record LogLine(String tag, String instance, String attempts, String model, String upstreamStatus, int status) {
        static LogLine parse(String line) {
            String[] f = line.trim().split(" ");
            if (f.length != 6) {
                throw new IllegalStateException("unexpected access log line: " + line);
            }
            return new LogLine(f[0], f[1], f[2], f[3], f[4], Integer.parseInt(f[5]));
        }
    }

    Path prefix;
    GatewayProcess gw;
    private final Map<String, OpenAIClient> clients = new ConcurrentHashMap<>();
    private volatile boolean failed;

    @Override
    public void beforeAll(ExtensionContext ctx) {
        try {
            prefix = Files.createTempDirectory("aigw-t-multi-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GatewayConfig config = GatewayConfig.create()
                .set("nginx_config.http.access_log_format", LOG_FORMAT);
        gw = GatewayProcess.builder(prefix).config(config).start();
    }

    @Override
    public void testFailed(ExtensionContext ctx, Throwable cause) {
        failed = true;
    }

    // ------------------------------------------------------------------ configuration

    /** An openai-compatible instance whose endpoint is {@code base}'s chat completions path. */
    static JsonObject inst(String name, String base, int priority, int weight) {
        return new JsonObject().put("name", name).put("provider", "openai-compatible")
                .put("priority", priority).put("weight", weight)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                .put("options", new JsonObject().put("model", "model-" + name))
                .put("override", new JsonObject().put("endpoint", base + "/v1/chat/completions"));
    }

    static JsonObject inst(String name, MockLlm m, int priority, int weight) {
        return inst(name, m.url(), priority, weight);
    }

    /** The plugin's configuration over these instances, falling back on 429 and 5xx. */
    static JsonObject conf(JsonObject... instances) {
        return new JsonObject().put("instances", new JsonArray(List.of((Object[]) instances)))
                .put("fallback_strategy", new JsonArray().add("http_429").add("http_5xx"));
    }

    /**
     * Creates the route {@code /ID/v1/chat/completions} with ai-proxy-multi (the Admin API must accept
     * it) and waits (bounded) until the data plane serves it: a GET without a body is refused by the
     * plugin (400) before any provider is called, where an unknown route is a 404.
     */
    void route(String id, JsonObject pluginConf) {
        HttpResult r = putRoute(id, pluginConf);
        assertTrue(r.status() == 200 || r.status() == 201, "PUT route " + id + ": " + r);
        String path = "/" + id + "/v1/chat/completions";
        boolean live = MockLlm.await(() -> gw.http("GET", path, null).status() != 404, Duration.ofSeconds(10));
        assertTrue(live, "route " + id + " not served within 10 s");
    }

    HttpResult putRoute(String id, JsonObject pluginConf) {
        JsonObject route = new JsonObject().put("uri", "/" + id + "/v1/chat/completions")
                .put("plugins", new JsonObject().put("ai-proxy-multi", pluginConf));
        return gw.admin("PUT", "/routes/" + id, route.encode());
    }

    // ------------------------------------------------------------------ client

    /** A pooled SDK client for a route (no SDK retries: every attempt seen is the gateway's). */
    OpenAIClient sdk(String routeId) {
        return clients.computeIfAbsent(routeId, id -> OpenAIOkHttpClient.builder()
                .baseUrl(gw.url("/" + id + "/v1"))
                .apiKey("sk-client")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build());
    }

    static ChatCompletionCreateParams params(String tag) {
        return ChatCompletionCreateParams.builder().model("client-model").addUserMessage("hi")
                .putAdditionalHeader("X-Tag", tag).build();
    }

    /** A chat completion through the route; returns the answer's text. */
    String chat(String routeId, String tag) {
        ChatCompletion c = sdk(routeId).chat().completions().create(params(tag));
        assertEquals(1, c.choices().size(), "one answer");
        return c.choices().get(0).message().content().orElse("");
    }

    /** A streamed chat completion through the route; returns the chunks (the stream must end cleanly). */
    List<ChatCompletionChunk> stream(String routeId, String tag) {
        try (StreamResponse<ChatCompletionChunk> s = sdk(routeId).chat().completions().createStreaming(params(tag))) {
            return s.stream().toList();
        }
    }

    static String text(List<ChatCompletionChunk> chunks) {
        return chunks.stream().flatMap(c -> c.choices().stream())
                .map(ch -> ch.delta().content().orElse("")).collect(Collectors.joining());
    }

    // ------------------------------------------------------------------ access log

    /** The access log lines whose tag starts with {@code tagPrefix}, waiting (bounded) until there are {@code n}. */
    List<LogLine> log(String tagPrefix, int n) {
        return lines(l -> l.tag().startsWith(tagPrefix), n, tagPrefix + "*");
    }

    /** The one access log line of a tag. */
    LogLine log(String tag) {
        return lines(l -> l.tag().equals(tag), 1, tag).get(0);
    }

    private List<LogLine> lines(Predicate<LogLine> which, int n, String what) {
        List<LogLine> out = new ArrayList<>();
        MockLlm.await(() -> {
            out.clear();
            for (String l : gw.accessLogLines()) {
                LogLine line = LogLine.parse(l);
                if (which.test(line)) {
                    out.add(line);
                }
            }
            return out.size() >= n;
        }, Duration.ofSeconds(10));
        assertEquals(n, out.size(), "access log lines tagged " + what + ": " + out);
        return List.copyOf(out);
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        failed |= ctx.getExecutionException().isPresent();
        clients.values().forEach(OpenAIClient::close);
        if (gw == null) {
            return;
        }
        gw.close();
        if (failed) {
            System.err.println("gateway output (prefix kept at " + prefix + "):\n" + gw.outputTail(80));
            return;
        }
        try (Stream<Path> walk = Files.walk(prefix)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
