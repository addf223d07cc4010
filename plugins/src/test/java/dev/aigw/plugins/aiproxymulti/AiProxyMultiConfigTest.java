package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation as the Admin API runs it (schema then parseConfig), and the pure parts: balancers, backoff. */
class AiProxyMultiConfigTest {

    private final AiProxyMultiPlugin plugin = new AiProxyMultiPlugin(k -> null);
    private final PluginRegistry registry = PluginRegistry.of(List.<Plugin<?>>of(plugin), null);

    static JsonObject instance(String name, int priority, int weight, String endpoint) {
        return new JsonObject().put("name", name).put("provider", "openai-compatible").put("priority", priority)
                .put("weight", weight)
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-" + name)))
                .put("options", new JsonObject().put("model", "m-" + name))
                .put("override", new JsonObject().put("endpoint", endpoint));
    }

    private String error(JsonObject conf) {
        PluginConfigException e = assertThrows(PluginConfigException.class,
                () -> registry.bind(AiProxyMultiPlugin.NAME, conf));
        return e.getMessage();
    }

    @Test
    void instancesTakeApisixBodyOverrides() throws Exception {
        JsonObject inst = instance("a", 0, 1, "http://127.0.0.1:1/v1/chat/completions");
        inst.getJsonObject("override").put("llm_options", new JsonObject().put("max_tokens", 64))
                .put("request_body", new JsonObject().put("openai-chat", new JsonObject().put("user", "gw")));
        registry.bind(AiProxyMultiPlugin.NAME, new JsonObject().put("instances", new JsonArray().add(inst))).release();
        inst.getJsonObject("override").put("request_body", new JsonObject().put("chat", new JsonObject()));
        String bad = error(new JsonObject().put("instances", new JsonArray().add(inst)));
        assertTrue(bad.contains("request_body"), bad);
    }

    @Test
    void refusesDuplicateNamesNoInstancesAndTooManyAttempts() {
        String dup = error(new JsonObject().put("instances", new JsonArray()
                .add(instance("a", 0, 1, "http://127.0.0.1:1/v1/chat/completions"))
                .add(instance("b", 0, 1, "http://127.0.0.1:2/v1/chat/completions"))
                .add(instance("a", 1, 1, "http://127.0.0.1:3/v1/chat/completions"))));
        assertTrue(dup.contains("duplicate instance name 'a' at instances[1] and instances[3]"), dup);

        assertTrue(error(new JsonObject().put("instances", new JsonArray())).contains("instances"));
        assertTrue(error(new JsonObject()).contains("instances"));

        JsonObject six = new JsonObject().put("max_attempts", 6).put("instances", new JsonArray()
                .add(instance("a", 0, 1, "http://127.0.0.1:1/v1/chat/completions")));
        assertTrue(error(six).contains("max_attempts"), error(six));
        JsonObject slow = new JsonObject().put("retry_delay", 5001).put("instances", new JsonArray()
                .add(instance("a", 0, 1, "http://127.0.0.1:1/v1/chat/completions")));
        assertTrue(error(slow).contains("retry_delay"));
        JsonObject backoff = new JsonObject().put("backoff", "random").put("instances", new JsonArray()
                .add(instance("a", 0, 1, "http://127.0.0.1:1/v1/chat/completions")));
        assertTrue(error(backoff).contains("backoff"));
    }

    @Test
    void refusesBadInstancesAndChashWithoutKey() {
        JsonObject noWeight = instance("a", 0, 1, "http://127.0.0.1:1/x");
        noWeight.remove("weight");
        assertTrue(error(new JsonObject().put("instances", new JsonArray().add(noWeight))).contains("weight"));

        JsonObject noEndpoint = instance("c", 0, 1, "http://x");
        noEndpoint.remove("override");
        String e = error(new JsonObject().put("instances", new JsonArray().add(noEndpoint)));
        assertTrue(e.contains("instance 'c'") && e.contains("override.endpoint"), e);

        JsonObject badStrategy = new JsonObject().put("fallback_strategy", "sometimes")
                .put("instances", new JsonArray().add(instance("a", 0, 1, "http://127.0.0.1:1/x")));
        assertTrue(error(badStrategy).contains("fallback_strategy"));

        JsonObject chash = new JsonObject().put("balancer", new JsonObject().put("algorithm", "chash").put("hash_on", "header"))
                .put("instances", new JsonArray().add(instance("a", 0, 1, "http://127.0.0.1:1/x")));
        assertTrue(error(chash).contains("hash_key"));
    }

    @Test
    void parsingHasNoSideEffects() throws Exception {
        JsonObject checks = new JsonObject().put("active", new JsonObject().put("health_check_model", "probe"));
        JsonObject conf = new JsonObject().put("instances", new JsonArray()
                .add(instance("a", 1, 1, "http://127.0.0.1:1/v1/chat/completions").put("checks", checks))
                .add(instance("b", 0, 1, "http://127.0.0.1:2/v1/chat/completions")))
                .put("fallback_strategy", new JsonArray().add("http_429").add("http_5xx"))
                .put("max_retries", 9);
        MultiConfig c = plugin.parseConfig(conf);
        assertEquals(0, plugin.health().size());
        assertEquals(0, plugin.health().probers());
        assertEquals(5, c.maxAttempts()); // max_retries + 1, capped at 5 attempts in all
        assertEquals(List.of(1, 0), c.groups().stream().map(PriorityGroup::priority).toList());
        assertTrue(c.fallback().fallsBackOn(429) && c.fallback().fallsBackOn(503));
        assertFalse(c.fallback().fallsBackOn(400));
        plugin.release(c); // releasing an unused configuration is harmless
        assertEquals(0, plugin.health().size());
    }

    @Test
    void attemptsDefaultToOnePerInstanceAndMaxAttemptsWins() throws Exception {
        JsonArray three = new JsonArray().add(instance("a", 0, 1, "http://127.0.0.1:1/x"))
                .add(instance("b", 0, 1, "http://127.0.0.1:2/x")).add(instance("c", 0, 1, "http://127.0.0.1:3/x"));
        assertEquals(3, plugin.parseConfig(new JsonObject().put("instances", three)).maxAttempts());
        assertEquals(5, plugin.parseConfig(new JsonObject().put("instances", three).put("max_attempts", 5)).maxAttempts());
        assertEquals(2, plugin.parseConfig(new JsonObject().put("instances", three).put("max_retries", 1)).maxAttempts());
        assertEquals(5, plugin.parseConfig(new JsonObject().put("instances", three).put("max_retries", 20)).maxAttempts());
    }

    @Test
    void healthKeyDependsOnAddressAndAuthButNeverShowsTheKey() {
        JsonObject a = instance("a", 0, 1, "http://127.0.0.1:1/x");
        JsonObject sameButRenamed = instance("a", 5, 9, "http://127.0.0.1:1/x").put("name", "other");
        sameButRenamed.put("auth", a.getJsonObject("auth").copy());
        sameButRenamed.put("options", new JsonObject().put("model", "m-a"));
        JsonObject otherKey = instance("b", 0, 1, "http://127.0.0.1:1/x");
        String ka = AiProxyMultiPlugin.healthKey(a, new JsonObject());
        assertEquals(ka, AiProxyMultiPlugin.healthKey(sameButRenamed, new JsonObject()));
        assertNotEquals(ka, AiProxyMultiPlugin.healthKey(otherKey, new JsonObject()));
        assertFalse(ka.contains("sk-a"), ka);
    }

    @Test
    void smoothWeightedRoundRobinInterleavesExactly() {
        SmoothWeightedRoundRobin rr = new SmoothWeightedRoundRobin(new int[] {8, 2});
        boolean[] both = {true, true};
        StringBuilder seq = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            seq.append(rr.pick(both, null) == 0 ? 'A' : 'B');
        }
        assertEquals(8, seq.chars().filter(ch -> ch == 'A').count(), seq.toString());
        assertFalse(seq.toString().contains("BB"), seq.toString());
        assertEquals(1, rr.pick(new boolean[] {false, true}, null));
        assertEquals(-1, rr.pick(new boolean[] {false, false}, null));
        assertEquals(-1, new SmoothWeightedRoundRobin(new int[] {0}).pick(new boolean[] {true}, null));
    }

    @Test
    void consistentHashSticksAndMovesOnlyTheLostInstancesKeys() {
        ConsistentHashRing ring = new ConsistentHashRing(new String[] {"a", "b", "c"}, new int[] {1, 1, 1});
        boolean[] all = {true, true, true};
        Map<String, Integer> first = new HashMap<>();
        Set<Integer> used = new HashSet<>();
        for (int k = 0; k < 300; k++) {
            int owner = ring.pick(all, "user-" + k);
            first.put("user-" + k, owner);
            used.add(owner);
            assertEquals(owner, ring.pick(all, "user-" + k));
        }
        assertEquals(Set.of(0, 1, 2), used);
        boolean[] noB = {true, false, true};
        List<String> moved = new ArrayList<>();
        for (Map.Entry<String, Integer> e : first.entrySet()) {
            int now = ring.pick(noB, e.getKey());
            assertNotEquals(1, now);
            if (now != e.getValue()) {
                moved.add(e.getKey());
                assertEquals(1, e.getValue(), "only b's keys move");
            }
        }
        assertFalse(moved.isEmpty());
    }

    @Test
    void backoffDelays() {
        assertEquals(List.of(100L, 100L, 100L), List.of(Backoff.CONSTANT.delayMs(100, 1),
                Backoff.CONSTANT.delayMs(100, 2), Backoff.CONSTANT.delayMs(100, 3)));
        assertEquals(List.of(100L, 200L, 300L), List.of(Backoff.LINEAR.delayMs(100, 1),
                Backoff.LINEAR.delayMs(100, 2), Backoff.LINEAR.delayMs(100, 3)));
        assertEquals(List.of(100L, 200L, 400L), List.of(Backoff.EXPONENTIAL.delayMs(100, 1),
                Backoff.EXPONENTIAL.delayMs(100, 2), Backoff.EXPONENTIAL.delayMs(100, 3)));
        assertEquals(0, Backoff.EXPONENTIAL.delayMs(0, 3));
    }
}
