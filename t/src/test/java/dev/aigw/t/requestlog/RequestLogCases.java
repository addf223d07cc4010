package dev.aigw.t.requestlog;

import dev.aigw.t.Pause;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The request-log cases every database must pass (SQLite, PostgreSQL). */
abstract class RequestLogCases extends RequestLogEnv {

    // ------------------------------------------------------------------ cases

    @Test
    void chatRowHasTheCallAndItsCostAndMasksSecrets() {
        route("chat", false);
        mock.usage(1000, 500).content("Sure. The admin password=opensesame42 is set.");
        String id = testId();
        String prompt = "Remember my key sk-proj-ABCDEFGHIJKLMNOPQRSTUV and also " + CLIENT_KEY
                + " plus {\"api_key\": \"verysecretvalue\"} and say hi";
        HttpResult r = post("/chat/v1/chat/completions", chatBody("gpt-4o-mini", prompt, false), "X-Test-Id", id);
        assertEquals(200, r.status(), r.toString());

        Map<String, Object> row = awaitRows("chat", 1).get(0);
        assertEquals("chat", row.get("route_id"));
        assertEquals("route chat", row.get("route_name"));
        assertEquals("127.0.0.1", row.get("client_ip"));
        assertEquals("openai", row.get("provider"));
        assertEquals("ai_chat", row.get("request_type"));
        assertEquals("gpt-4o-mini", row.get("request_model"));
        assertEquals("gpt-4o-mini", row.get("model"));
        assertEquals(200L, num(row.get("status")));
        assertEquals(200L, num(row.get("upstream_status")));
        assertEquals(1000L, num(row.get("prompt_tokens")));
        assertEquals(500L, num(row.get("completion_tokens")));
        assertEquals(1500L, num(row.get("total_tokens")));
        assertEquals(1L, num(row.get("attempts")));
        assertTrue(dbl(row.get("latency_ms")) > 0, "latency recorded");
        assertNull(row.get("consumer"), "no consumer on this route");
        // gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output
        assertEquals(1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6, dbl(row.get("cost")), 1e-12);
        assertEquals("price", row.get("cost_source"));
        assertEquals("0.00045", accessLogCost(id), "$llm_cost in the access log");

        String req = (String) row.get("request_text");
        assertNotNull(req, "the prompt is stored when logging.payloads is on");
        assertTrue(req.contains("say hi"), req);
        for (String secret : List.of("sk-proj-ABCDEFGHIJKLMNOPQRSTUV", CLIENT_KEY, "verysecretvalue")) {
            assertFalse(req.contains(secret), "secret " + secret + " masked in " + req);
        }
        String resp = (String) row.get("response_text");
        assertTrue(resp.startsWith("Sure. The admin password="), resp);
        assertFalse(resp.contains("opensesame42"), resp);
        assertFalse(String.valueOf(row).contains("sk-provider-key-abcdefgh"), "provider key never stored");
    }

    @Test
    void multiRowNamesTheInstanceThatAnsweredAndItsProvider() {
        try (MockLlm down = new MockLlm()) {
            down.status(500);
            JsonObject multi = new JsonObject()
                    .put("instances", new JsonArray()
                            .add(instance("first", "deepseek", down, 10))
                            .add(instance("second", "openai", mock, 1)))
                    .put("fallback_strategy", new JsonArray().add("http_5xx"));
            putRoute("multi", new JsonObject().put("uri", "/multi/v1/chat/completions")
                    .put("plugins", new JsonObject().put("ai-proxy-multi", multi)));
            mock.usage(10, 5).content("from the second");
            HttpResult r = post("/multi/v1/chat/completions", chatBody("gpt-4o", "hi", false));
            assertEquals(200, r.status(), r.toString());

            Map<String, Object> row = awaitRows("multi", 1).get(0);
            assertEquals("second", row.get("instance"));
            assertEquals("openai", row.get("provider"), "the provider of the instance that answered");
            assertEquals(2L, num(row.get("attempts")));
            assertEquals(1, down.count(MockLlm.Kind.CHAT), "the first instance was tried");
        }
    }

    private static JsonObject instance(String name, String provider, MockLlm m, int priority) {
        return new JsonObject().put("name", name).put("provider", provider).put("priority", priority).put("weight", 1)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                .put("override", new JsonObject().put("endpoint", m.url() + "/v1/chat/completions"));
    }

    @Test
    void streamRowHasTimeToFirstToken() {
        route("stream", false);
        mock.usage(40, 60).content("streamed answer");
        HttpResult r = post("/stream/v1/chat/completions", chatBody("gpt-4o", "stream please", true));
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.body().contains("data:"), "an SSE answer");

        Map<String, Object> row = awaitRows("stream", 1).get(0);
        assertEquals("ai_stream", row.get("request_type"));
        assertEquals(40L, num(row.get("prompt_tokens")));
        assertEquals(60L, num(row.get("completion_tokens")));
        assertTrue(num(row.get("ttft_ms")) >= 0, "TTFT recorded");
        assertEquals(40 * 2.50 / 1e6 + 60 * 10.00 / 1e6, dbl(row.get("cost")), 1e-12);
        assertEquals("streamed answer", row.get("response_text"));
    }

    @Test
    void embeddingsRowIsPricedByInputTokens() {
        route("emb", true);
        mock.embeddingTokensPerInput(7);
        String body = new JsonObject().put("model", "text-embedding-3-small")
                .put("input", new JsonArray().add("one").add("two")).encode();
        HttpResult r = post("/emb/v1/embeddings", body);
        assertEquals(200, r.status(), r.toString());

        Map<String, Object> row = awaitRows("emb", 1).get(0);
        assertEquals("text-embedding-3-small", row.get("request_model"));
        assertEquals(14L, num(row.get("prompt_tokens")));
        assertEquals(14 * 0.02 / 1e6, dbl(row.get("cost")), 1e-12);
    }

    @Test
    void failedCallIsRecordedWithoutCost() {
        route("fail", false);
        mock.failNext(1, 500);
        HttpResult r = post("/fail/v1/chat/completions", chatBody("gpt-4o", "this fails", false));
        assertEquals(500, r.status(), r.toString());

        Map<String, Object> row = awaitRows("fail", 1).get(0);
        assertEquals(500L, num(row.get("status")));
        assertEquals(500L, num(row.get("upstream_status")));
        assertNull(row.get("cost"), "no usage, no cost");
        assertNull(row.get("response_text"));
    }

    @Test
    void trustedHeaderSetsTheCostAndNeverReachesTheProvider() {
        route("hdr", false);
        mock.usage(100, 100);
        HttpResult r = post("/hdr/v1/chat/completions", chatBody("gpt-4o", "priced by header", false),
                "cf-aig-custom-cost", "0.25");
        assertEquals(200, r.status(), r.toString());
        assertNull(mock.lastRequest().header("cf-aig-custom-cost"), "the cost header is not forwarded");
        r = post("/hdr/v1/chat/completions", chatBody("gpt-4o", "per token", false),
                "cf-aig-custom-cost", "{\"per_token_in\": 0.001, \"per_token_out\": 0.002}");
        assertEquals(200, r.status(), r.toString());

        List<Map<String, Object>> rows = awaitRows("hdr", 2);
        assertEquals(0.25, dbl(rows.get(0).get("cost")), 1e-12);
        assertEquals("header", rows.get(0).get("cost_source"));
        assertEquals(100 * 0.001 + 100 * 0.002, dbl(rows.get(1).get("cost")), 1e-12);
    }

    @Test
    void priceTableInMetadataOverridesAndAddsModels() {
        route("meta", false);
        HttpResult m = gw.admin("PUT", "/plugin_metadata/ai-request-log", new JsonObject()
                .put("prices", new JsonObject()
                        .put("house-model", new JsonObject().put("input", 2.0).put("output", 4.0))
                        .put("gpt-4o", new JsonObject().put("input", 1.0).put("output", 1.0))).encode());
        assertTrue(m.status() == 200 || m.status() == 201, m.toString());
        HttpResult bad = gw.admin("PUT", "/plugin_metadata/ai-request-log",
                "{\"prices\": {\"x\": {\"output\": 1}}}");
        assertEquals(400, bad.status(), "a price without input is refused: " + bad);
        mock.usage(1_000_000, 1_000_000);
        // the metadata reaches the data plane through the store's watch: retry until it applies (bounded)
        long deadline = System.nanoTime() + WAIT.toNanos();
        int sent = 0;
        while (true) {
            assertEquals(200, post("/meta/v1/chat/completions", chatBody("house-model", "hi", false)).status());
            sent++;
            List<Map<String, Object>> rows = awaitRows("meta", sent);
            Object cost = rows.get(sent - 1).get("cost");
            if (cost != null) {
                assertEquals(6.0, dbl(cost), 1e-9, "1M in at $2 + 1M out at $4");
                break;
            }
            assertTrue(System.nanoTime() - deadline < 0, "metadata prices never applied");
            Pause.sleep(200);
        }
        assertEquals(200, post("/meta/v1/chat/completions", chatBody("gpt-4o-2024-08-06", "hi", false)).status());
        List<Map<String, Object>> rows = awaitRows("meta", sent + 1);
        assertEquals(2.0, dbl(rows.get(sent).get("cost")), 1e-9, "a dated model is priced as its base, overridden");
        gw.admin("DELETE", "/plugin_metadata/ai-request-log", null);
    }

    @Test
    void spendEndpointTotalsEqualTheRows() {
        route("spend-a", false);
        route("spend-b", false);
        mock.usage(300, 200);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, post("/spend-a/v1/chat/completions", chatBody("gpt-4o-mini", "a" + i, false)).status());
        }
        assertEquals(200, post("/spend-b/v1/chat/completions", chatBody("gpt-4o", "b", false)).status());
        awaitRows("spend-a", 3);
        awaitRows("spend-b", 1);

        HttpResult all = gw.admin("GET", "/ai-request-log/spend?start=0&group_by=consumer,route,model", null);
        assertEquals(200, all.status(), all.toString());
        JsonObject body = all.jsonObject();
        Map<String, Object> db = query("SELECT COUNT(*) AS n, SUM(cost) AS cost, SUM(prompt_tokens) AS p FROM llm_requests").get(0);
        JsonObject total = body.getJsonObject("total");
        assertEquals(num(db.get("n")), total.getLong("requests"));
        assertEquals(dbl(db.get("cost")), total.getDouble("cost"), 1e-9);
        assertEquals(num(db.get("p")), total.getLong("prompt_tokens"));
        double listed = 0;
        long listedRequests = 0;
        for (Object o : body.getJsonArray("list")) {
            listed += ((JsonObject) o).getDouble("cost");
            listedRequests += ((JsonObject) o).getLong("requests");
        }
        assertEquals(total.getDouble("cost"), listed, 1e-9, "groups add up to the total");
        assertEquals(total.getLong("requests"), listedRequests);

        HttpResult a = gw.admin("GET", "/ai-request-log/spend?start=0&route=spend-a&group_by=model", null);
        assertEquals(200, a.status(), a.toString());
        JsonArray list = a.jsonObject().getJsonArray("list");
        assertEquals(1, list.size(), a.toString());
        assertEquals("gpt-4o-mini", list.getJsonObject(0).getString("model"));
        assertEquals(3, list.getJsonObject(0).getLong("requests"));
        assertEquals(3 * (300 * 0.15 + 200 * 0.60) / 1e6, list.getJsonObject(0).getDouble("cost"), 1e-12);

        HttpResult future = gw.admin("GET", "/ai-request-log/spend?start=2999-01-01T00:00:00Z&end=2999-01-02T00:00:00Z", null);
        assertEquals(0, future.jsonObject().getJsonObject("total").getLong("requests"));

        assertEquals(400, gw.admin("GET", "/ai-request-log/spend?group_by=colour", null).status());
        assertEquals(400, gw.admin("GET", "/ai-request-log/spend?start=yesterday", null).status());
        assertEquals(401, gw.send("GET", gw.adminUrl("/apisix/admin/ai-request-log/spend"), null, Map.of()).status(),
                "the admin key is required");
    }

    @Test
    void aCacheHitIsARowThatCostsNothingAndTheSpendCountsIt() {
        route("cached", false, new JsonObject().put("ai-cache", new JsonObject()));
        mock.usage(1000, 500);
        String body = chatBody("gpt-4o-mini", "the same question " + testId(), false);
        String missId = testId();
        String hitId = testId();
        HttpResult miss = post("/cached/v1/chat/completions", body, "X-Test-Id", missId);
        assertEquals("MISS", miss.header("X-AI-Cache-Status"), miss.toString());
        HttpResult hit = post("/cached/v1/chat/completions", body, "X-Test-Id", hitId);
        assertEquals("HIT", hit.header("X-AI-Cache-Status"), hit.toString());

        List<Map<String, Object>> rows = awaitRows("cached", 2);
        // found by what they say: the two log phases may reach the batch in either order
        Map<String, Object> missRow = rows.stream().filter(r -> "MISS".equals(r.get("cache_status"))).findFirst()
                .orElseThrow(() -> new AssertionError("no MISS row: " + rows));
        Map<String, Object> hitRow = rows.stream().filter(r -> "HIT".equals(r.get("cache_status"))).findFirst()
                .orElseThrow(() -> new AssertionError("no HIT row: " + rows));
        double paid = 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6;
        assertEquals(paid, dbl(missRow.get("cost")), 1e-12);
        assertEquals(1000L, num(missRow.get("prompt_tokens")));
        assertEquals(0.0, dbl(hitRow.get("cost")), "a hit pays no provider");
        assertEquals("cache", hitRow.get("cost_source"));
        assertEquals(0L, num(hitRow.get("prompt_tokens")), "zero provider tokens for a hit");
        assertEquals(0L, num(hitRow.get("completion_tokens")));
        assertEquals("gpt-4o-mini", hitRow.get("model"), "the model that made the stored answer");
        assertEquals("0", accessLogCost(hitId), "$llm_cost of a hit");
        assertEquals("0.00045", accessLogCost(missId));

        HttpResult spend = gw.admin("GET", "/ai-request-log/spend?start=0&route=cached", null);
        assertEquals(200, spend.status(), spend.toString());
        JsonObject total = spend.jsonObject().getJsonObject("total");
        assertEquals(2, total.getLong("requests"), "the hit is counted as a request");
        assertEquals(1, total.getLong("cache_hits"));
        assertEquals(paid, total.getDouble("cost"), 1e-12, "and costs nothing");
        assertEquals(1000, total.getLong("prompt_tokens"));
        assertEquals(0, total.getLong("unpriced_requests"));
    }
}
