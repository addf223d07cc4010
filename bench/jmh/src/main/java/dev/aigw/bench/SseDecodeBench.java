package dev.aigw.bench;

import dev.aigw.plugins.aiproxy.sse.SseDecoder;
import dev.aigw.plugins.aiproxy.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * SSE decoding of one whole OpenAI stream (role chunk, 20 content chunks, finish, usage,
 * {@code [DONE]}: 24 events, about 5 KB), fed as the network delivers it: one buffer per event (what
 * the mock sends), 64-byte pieces (events split across reads), or all at once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class SseDecodeBench {

    @Param({"per-event", "64-byte", "one-buffer"})
    public String split;

    private Buffer[] pieces;

    static String chunk(String delta, String finish) {
        return "{\"id\":\"chatcmpl-bench000000000000000000000001\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,"
                + "\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
                + "\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish + "}],\"usage\":null}";
    }

    static List<String> events() {
        List<String> e = new ArrayList<>();
        e.add("data: " + chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null") + "\n\n");
        for (int i = 0; i < 20; i++) {
            e.add("data: " + chunk("{\"content\":\"word" + i + " \"}", "null") + "\n\n");
        }
        e.add("data: " + chunk("{}", "\"stop\"") + "\n\n");
        e.add("data: {\"id\":\"chatcmpl-bench000000000000000000000001\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":212,\"completion_tokens\":20,\"total_tokens\":232}}\n\n");
        e.add("data: [DONE]\n\n");
        return e;
    }

    @Setup(Level.Trial)
    public void setUp() {
        List<String> events = events();
        String all = String.join("", events);
        List<Buffer> out = new ArrayList<>();
        switch (split) {
            case "per-event" -> events.forEach(s -> out.add(Buffer.buffer(s)));
            case "64-byte" -> {
                byte[] b = all.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (int i = 0; i < b.length; i += 64) {
                    out.add(Buffer.buffer(java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + 64))));
                }
            }
            default -> out.add(Buffer.buffer(all));
        }
        pieces = out.toArray(new Buffer[0]);
        if (decode() != 24) {
            throw new IllegalStateException("expected 24 events, got " + decode());
        }
    }

    @Benchmark
    public int decode() {
        SseDecoder d = new SseDecoder();
        int n = 0;
        for (Buffer b : pieces) {
            List<SseEvent> events = d.feed(b);
            n += events.size();
        }
        return n;
    }
}
