package dev.aigw.gateway.stats;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrafficStatsTest {

    private static final long T0 = 1_800_000_000_000L; // a whole minute

    private final AtomicLong now = new AtomicLong(T0);
    private final TrafficStats stats = new TrafficStats(now::get);

    private static TrafficStats.Sample sample(long time, String route, String model, String consumer, int status,
                                              double latencyMs, long prompt, long completion, double cost) {
        return new TrafficStats.Sample(time, "id", route, consumer, model, "POST", "/v1/chat/completions", status,
                latencyMs, 0, prompt, completion, cost, "127.0.0.1:1", null, null, null);
    }

    @Test
    void totalsSeriesAndDimensionsOfAWindow() {
        stats.record(sample(T0, "r1", "gpt-4o", "team-a", 200, 10, 100, 20, 0.5), false);
        stats.record(sample(T0 + 1_000, "r1", "gpt-4o", "team-b", 502, 30, 0, 0, 0), false);
        stats.record(sample(T0 + 61_000, "r2", "claude", "team-a", 429, 1, 0, 0, 0), true);
        now.set(T0 + 90_000);
        JsonObject s = stats.snapshot(60);
        JsonObject totals = s.getJsonObject("totals");
        assertEquals(3, totals.getLong("requests"));
        assertEquals(1, totals.getLong("errors_5xx"));
        assertEquals(1, totals.getLong("errors_4xx"));
        assertEquals(1, totals.getLong("rate_limited"));
        assertEquals(100, totals.getLong("prompt_tokens"));
        assertEquals(0.5, totals.getDouble("cost"), 1e-9);
        JsonArray series = s.getJsonArray("series");
        assertEquals(60, series.size());
        assertEquals(2, series.getJsonObject(58).getLong("requests"), "two requests in the minute before the last");
        assertEquals(1, series.getJsonObject(59).getLong("requests"));
        JsonObject gpt = s.getJsonArray("by_model").getJsonObject(0);
        assertEquals("gpt-4o", gpt.getString("name"));
        assertEquals(2, gpt.getLong("requests"));
        assertEquals(1, gpt.getLong("errors"));
        assertEquals(2, s.getJsonArray("by_consumer").size());
        assertEquals(1, s.getJsonArray("failed").size());
        assertEquals(30.0, s.getJsonArray("slowest").getJsonObject(0).getDouble("latency_ms"));
        // p50 of 1, 10, 30 ms lies in the 10 ms bucket (upper edge within ~41 %)
        double p50 = totals.getDouble("p50_ms");
        assertTrue(p50 >= 10 && p50 < 14.2, "p50 " + p50);
    }

    @Test
    void oldMinutesLeaveTheWindowAndTheRingIsReused() {
        stats.record(sample(T0, "r1", "m", null, 200, 1, 1, 1, 0), false);
        now.set(T0 + 2 * 60_000);
        assertEquals(1, stats.snapshot(5).getJsonObject("totals").getLong("requests"));
        assertEquals(0, stats.snapshot(1).getJsonObject("totals").getLong("requests"));
        // a day later the same ring slot holds the new minute, not the old one
        long dayLater = T0 + 24L * 60 * 60_000;
        stats.record(sample(dayLater, "r1", "m", null, 200, 1, 1, 1, 0), false);
        now.set(dayLater);
        assertEquals(1, stats.snapshot(1440).getJsonObject("totals").getLong("requests"));
    }

    @Test
    void hostileNamesAreCappedPerSlotAndCounted() {
        for (int i = 0; i < 500; i++) {
            stats.record(sample(T0, "r", "model-" + i, null, 200, 1, 1, 0, 0), false);
        }
        JsonObject s = stats.snapshot(10);
        JsonArray models = s.getJsonArray("by_model");
        assertEquals(TrafficStats.MAX_KEYS + 1, models.size(), "the cap plus (other)");
        long other = models.stream().map(o -> (JsonObject) o).filter(o -> o.getString("name").equals("(other)"))
                .findFirst().orElseThrow().getLong("requests");
        assertEquals(500 - TrafficStats.MAX_KEYS, other);
        assertEquals(500 - TrafficStats.MAX_KEYS, s.getLong("keys_folded"));
    }
}
