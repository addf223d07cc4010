package dev.aigw.gateway.upstream;

import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

import java.util.function.BooleanSupplier;

/**
 * The one back-pressure rule of every relay (client body to upstream, upstream answer or stream to
 * client, WebSocket frames): when a write fills the destination's queue, the source is paused until
 * the destination drains, so a slow reader holds at most one queue of data in the gateway.
 */
public final class Backpressure {

    private Backpressure() {
    }

    /**
     * Pauses {@code source} until {@code sink} drains; called once {@code sink.writeQueueFull()} (the
     * caller checks, so the usual path allocates nothing). The source is not resumed if
     * {@code stopped} says the relay ended meanwhile.
     */
    public static void pauseUntilDrained(ReadStream<?> source, WriteStream<?> sink, BooleanSupplier stopped) {
        source.pause();
        sink.drainHandler(v -> {
            if (!stopped.getAsBoolean()) {
                source.resume();
            }
        });
    }
}
