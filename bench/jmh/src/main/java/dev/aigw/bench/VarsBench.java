package dev.aigw.bench;

import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.route.match.ContextVars;
import dev.aigw.gateway.route.match.VarSource;
import dev.aigw.gateway.route.match.VarsExpr;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * {@code vars} evaluation on a fresh request context: header and argument comparisons, and
 * {@code post_arg.model} (which parses the ~1 KB JSON body once per request).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class VarsBench {

    private Vertx vertx;
    private VariableRegistry variables;
    private HttpServerRequest request;
    private Buffer body;
    private VarsExpr headers;
    private VarsExpr postArg;
    private VarsExpr mixed;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        vertx = Vertx.vertx();
        variables = new VariableRegistry();
        CoreVariables.register(variables);
        request = FakeRequests.request(HttpMethod.POST, "/v1/chat/completions?team=ml", "127.0.0.1",
                MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json").add("X-Tenant", "acme"));
        body = Bodies.chat();
        headers = VarsExpr.compile(new JsonArray("[[\"http_x_tenant\",\"==\",\"acme\"],[\"arg_team\",\"in\",[\"ml\",\"ops\"]]]"));
        postArg = VarsExpr.compile(new JsonArray("[[\"post_arg.model\",\"==\",\"gpt-4o\"]]"));
        mixed = VarsExpr.compile(new JsonArray("[\"OR\",[\"post_arg.model\",\"~~\",\"^claude\"],[\"AND\",[\"http_x_tenant\",\"==\",\"acme\"],[\"post_arg.model\",\"in\",[\"gpt-4o\",\"gpt-4o-mini\"]]]]"));
        if (!headersOnly() || !postArgModel() || !mixedExpr()) {
            throw new IllegalStateException("expressions should all hold");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vertx.close();
    }

    private RequestContext ctx(boolean withBody) {
        RequestContext ctx = new RequestContext(vertx, request, variables, 0);
        if (withBody) {
            ctx.body(body);
        }
        return ctx;
    }

    private static VarSource source(RequestContext ctx) {
        return ContextVars.of(ctx);
    }

    @Benchmark
    public boolean headersOnly() {
        return headers.eval(source(ctx(false)));
    }

    @Benchmark
    public boolean postArgModel() {
        return postArg.eval(source(ctx(true)));
    }

    @Benchmark
    public boolean mixedExpr() {
        return mixed.eval(source(ctx(true)));
    }
}
