package dev.aigw.plugins.prometheus;

import dev.aigw.bench.FakeRequests;
import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.FixedFields;
import dev.aigw.gateway.log.LogEntry;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The log-phase work of two plugins per request, in isolation: prometheus' recording (APISIX's
 * http_log metrics of an ai-proxy request, series already bound) and kafka-logger's default entry
 * (APISIX's JSON with the LLM summary, as UTF-8). Each on a fresh, finished request context with the
 * variables the proxy sets, as the end-to-end benchmark sends it; {@link #context} alone is the
 * baseline to subtract. In this package to reach the package-private {@link Recorder}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class LogPhaseBench {

    private Vertx vertx;
    private VariableRegistry variables;
    private HttpServerRequest request;
    private Route route;
    private Recorder recorder;
    private final LogEntry entries = new LogEntry("bench-host", "0.1.0");
    private static final FixedFields.Names SUMMARY = new FixedFields.Names("request_model", "model", "duration",
            "prompt_tokens", "completion_tokens", "total_tokens", "upstream_response_time", "stream");

    /** ai-proxy's {@code llm_summary}: {@code fixed} as it builds it, {@code map} as it did before. */
    @Param({"fixed", "map"})
    public String summary;

    @Setup(Level.Trial)
    public void setUp() {
        vertx = Vertx.vertx();
        variables = new VariableRegistry();
        CoreVariables.register(variables);
        request = FakeRequests.request(HttpMethod.POST, "/ai/v1/chat/completions", "127.0.0.1",
                MultiMap.caseInsensitiveMultiMap().add("Host", "127.0.0.1:9080").add("Content-Type", "application/json")
                        .add("User-Agent", "wrk").add("Content-Length", "935").add("Authorization", "Bearer sk-x"));
        request.response().headers().add("Content-Type", "application/json").add("Content-Length", "592")
                .add("Server", "APISIX/3.18");
        route = new Route("bench-ai", null, new JsonObject().put("uri", "/ai/*"), List.of(), null, 1);
        recorder = new Recorder(new MetricsRegistry("apisix_", 10_000), PrometheusAttr.parse(new JsonObject()), () -> null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vertx.close();
    }

    @Benchmark
    public RequestContext context() {
        RequestContext ctx = new RequestContext(vertx, request, variables, 0);
        ctx.route(route, List.of());
        ctx.setVar("upstream_addr", "127.0.0.1:29499");
        ctx.setVar("upstream_status", "200");
        ctx.setVar("upstream_response_time", "0.001");
        ctx.setVar("apisix_upstream_response_time", 1L);
        ctx.setVar("request_type", "ai_chat");
        ctx.setVar("request_llm_model", "gpt-4o");
        ctx.setVar("llm_model", "gpt-4o-2024-08-06");
        ctx.setVar("llm_prompt_tokens", 19L);
        ctx.setVar("llm_completion_tokens", 9L);
        ctx.setVar("llm_time_to_first_token", 1L);
        if (summary.equals("fixed")) { // as ai-proxy builds it
            ctx.logFields().put("llm_summary", new FixedFields(SUMMARY, "gpt-4o", "gpt-4o-2024-08-06", 1L, 19L, 9L,
                    28L, 1L, false));
        } else { // as it did before FixedFields
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("request_model", "gpt-4o");
            m.put("model", "gpt-4o-2024-08-06");
            m.put("duration", 1L);
            m.put("prompt_tokens", 19L);
            m.put("completion_tokens", 9L);
            m.put("total_tokens", 28L);
            m.put("upstream_response_time", 1L);
            m.put("stream", false);
            ctx.logFields().put("llm_summary", m);
        }
        ctx.markFinished(200);
        return ctx;
    }

    @Benchmark
    public RequestContext prometheus() {
        RequestContext ctx = context();
        recorder.log(ctx, false);
        return ctx;
    }

    /** As kafka-logger builds it: into a pooled off-heap buffer, released when its batch is done. */
    @Benchmark
    public int kafkaEntry() {
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(1024);
        try {
            entries.fullJsonUtf8(new ByteBufOutputStream(buf), context(), null, null, null, 0);
            return buf.readableBytes();
        } finally {
            buf.release();
        }
    }
}
