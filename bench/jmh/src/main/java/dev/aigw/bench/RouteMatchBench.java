package dev.aigw.bench;

import dev.aigw.gateway.context.CoreVariables;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.context.VariableRegistry;
import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.route.RouteTable;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Route matching as the gateway does it per request: a fresh {@link RequestContext}, then
 * {@link RouteTable#match} on a table of N routes of the same mix the load test uses (exact, prefix,
 * tenant host, vars with a header and {@code post_arg.model}; see BenchTool.Routes) plus the four
 * benchmark routes. Each scenario checks in setup that it matches the route it should.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class RouteMatchBench {

    @Param({"100", "10000"})
    public int routes;

    /** ai-exact: POST /v1/chat/completions; tenant-host: the same uri on a tenant host; prefix; vars-post-arg. */
    @Param({"ai-exact", "tenant-host", "prefix", "vars-post-arg"})
    public String scenario;

    private Vertx vertx;
    private RouteTable table;
    private VariableRegistry variables;
    private HttpServerRequest request;
    private Buffer body;
    private String expected;

    static String route(int i) {
        String up = "\"upstream\":{\"type\":\"roundrobin\",\"nodes\":{\"127.0.0.1:1980\":1}}";
        return switch (i % 4) {
            case 0 -> "{\"uri\":\"/bench/exact/" + i + "/v1/chat/completions\"," + up + "}";
            case 1 -> "{\"uri\":\"/bench/prefix/" + i + "/*\"," + up + "}";
            case 2 -> "{\"uris\":[\"/v1/chat/completions\",\"/plain/v1/chat/completions\"],\"hosts\":[\"t" + i
                    + ".tenant.example\"]," + up + "}";
            default -> "{\"uri\":\"/bench/vars/" + (i % 100) + "\",\"methods\":[\"POST\"],\"vars\":[[\"http_x_tenant\",\"==\",\"t"
                    + i + "\"],[\"post_arg.model\",\"==\",\"m" + i + "\"]]," + up + "}";
        };
    }

    static List<Route> table(int n) {
        List<Route> list = new ArrayList<>(n + 4);
        list.add(new Route("bench-ai", null, new JsonObject("{\"uri\":\"/v1/chat/completions\"}"), List.of(), null, 1));
        list.add(new Route("bench-plain", null, new JsonObject("{\"uri\":\"/plain/v1/chat/completions\"}"), List.of(), null, 1));
        for (int i = 0; i < n; i++) {
            list.add(new Route("bench-scale-" + i, null, new JsonObject(route(i)), List.of(), null, 1));
        }
        return list;
    }

    @Setup(Level.Trial)
    public void setUp() {
        vertx = Vertx.vertx();
        variables = new VariableRegistry();
        CoreVariables.register(variables);
        table = RouteTable.build(table(routes));
        MultiMap h = MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/json").add("Content-Length", "935")
                .add("User-Agent", "wrk").add("Accept", "*/*");
        // the last vars route on its uri: every earlier candidate is tried (and refused on the header)
        int lastVars = ((routes - 1) / 100) * 100 + 3;
        while (lastVars >= routes) {
            lastVars -= 100;
        }
        switch (scenario) {
            case "ai-exact" -> {
                request = FakeRequests.request(HttpMethod.POST, "/v1/chat/completions", "127.0.0.1", h.add("Host", "127.0.0.1"));
                expected = "bench-ai";
            }
            case "tenant-host" -> {
                request = FakeRequests.request(HttpMethod.POST, "/v1/chat/completions", "t2.tenant.example",
                        h.add("Host", "t2.tenant.example"));
                expected = "bench-scale-2";
            }
            case "prefix" -> {
                request = FakeRequests.request(HttpMethod.POST, "/bench/prefix/5/v1/chat/completions", "127.0.0.1", h);
                expected = "bench-scale-5";
            }
            case "vars-post-arg" -> {
                request = FakeRequests.request(HttpMethod.POST, "/bench/vars/3", "127.0.0.1",
                        h.add("X-Tenant", "t" + lastVars));
                body = Buffer.buffer(Bodies.CHAT.replace("\"model\":\"gpt-4o\"", "\"model\":\"m" + lastVars + "\""));
                expected = "bench-scale-" + lastVars;
            }
            default -> throw new IllegalArgumentException(scenario);
        }
        Route r = match().result();
        if (r == null || !r.id().equals(expected)) {
            throw new IllegalStateException(scenario + ": matched " + (r == null ? "nothing" : r.id()) + ", expected " + expected);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vertx.close();
    }

    @Benchmark
    public Future<Route> match() {
        RequestContext ctx = new RequestContext(vertx, request, variables, 0);
        if (body != null) {
            ctx.body(body); // as if read: the parse of post_arg happens inside match
        }
        return table.match(ctx);
    }
}
