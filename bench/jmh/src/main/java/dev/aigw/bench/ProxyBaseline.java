package dev.aigw.bench;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/** The cost of one call on the {@link FakeRequests} stand-in, to read the other figures against. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class ProxyBaseline {

    private final HttpServerRequest request = FakeRequests.request(HttpMethod.POST, "/v1/chat/completions",
            "127.0.0.1", MultiMap.caseInsensitiveMultiMap());

    @Benchmark
    public String path() {
        return request.path();
    }
}
