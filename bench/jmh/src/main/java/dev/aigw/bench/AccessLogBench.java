package dev.aigw.bench;

import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.log.AccessLogFormat;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
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

import java.util.concurrent.TimeUnit;

/**
 * One access-log line per request: the shipped default format (and an AI format with the llm
 * variables, JSON escaping) on a fresh, finished request context with the upstream variables set as
 * the proxy sets them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class AccessLogBench {

    @Param({"default", "ai-json"})
    public String format;

    private Vertx vertx;
    private VariableRegistry variables;
    private HttpServerRequest request;
    private AccessLogFormat compiled;
    private final StringBuilder line = new StringBuilder(512);

    @Setup(Level.Trial)
    public void setUp() {
        vertx = Vertx.vertx();
        variables = new VariableRegistry();
        CoreVariables.register(variables);
        request = FakeRequests.request(HttpMethod.POST, "/v1/chat/completions", "127.0.0.1",
                MultiMap.caseInsensitiveMultiMap().add("Host", "127.0.0.1:9080").add("Content-Type", "application/json")
                        .add("User-Agent", "openai-python/1.54.0").add("Content-Length", "935"));
        compiled = format.equals("default")
                ? AccessLogFormat.defaults()
                : AccessLogFormat.compile("{\"time\":\"$time_iso8601\",\"client\":\"$remote_addr\",\"route\":\"$route_id\","
                        + "\"status\":$status,\"model\":\"$llm_model\",\"prompt_tokens\":$llm_prompt_tokens,"
                        + "\"completion_tokens\":$llm_completion_tokens,\"ttft_ms\":$llm_time_to_first_token,"
                        + "\"request_time\":$request_time,\"request_id\":\"$apisix_request_id\"}", AccessLogFormat.Escape.JSON);
        String l = format();
        if (l.contains("$")) {
            throw new IllegalStateException("unexpanded variable in " + l);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vertx.close();
    }

    @Benchmark
    public String format() {
        RequestContext ctx = new RequestContext(vertx, request, variables, 0);
        ctx.requestId("4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99");
        ctx.setVar("upstream_addr", "127.0.0.1:1980");
        ctx.setVar("upstream_status", "200");
        ctx.setVar("upstream_response_time", "0.001");
        ctx.setVar("upstream_scheme", "http");
        ctx.setVar("upstream_host", "127.0.0.1:1980");
        ctx.setVar("upstream_uri", "/v1/chat/completions");
        ctx.setVar("llm_model", "gpt-4o-2024-08-06");
        ctx.setVar("llm_prompt_tokens", 212);
        ctx.setVar("llm_completion_tokens", 48);
        ctx.setVar("llm_time_to_first_token", 3);
        ctx.markFinished(200);
        line.setLength(0);
        compiled.format(ctx, line);
        return line.toString();
    }
}
