package dev.aigw.t.multi;

import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import dev.aigw.testkit.MockLlm.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.aigw.t.multi.MultiEnv.conf;
import static dev.aigw.t.multi.MultiEnv.inst;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weighted split, consistent hashing, and configurations the Admin API must refuse. */
class MultiBalancingTest {

    @RegisterExtension
    static final MultiEnv env = new MultiEnv();

    MockLlm a;
    MockLlm b;
    MockLlm c;

    @BeforeEach
    void mocks() {
        a = new MockLlm().content("answer from a");
        b = new MockLlm().content("answer from b");
        c = new MockLlm().content("answer from c");
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
        c.close();
    }

    @Test
    void weightedSplitOverThousandRequestsFollowsTheWeights() throws Exception {
        env.route("split", conf(inst("a", a, 0, 2), inst("b", b, 0, 3), inst("c", c, 0, 5)));
        // a few client threads over the SDK's pooled keep-alive connections: the split is the balancer's, not the timing's
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Void>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                String tag = "split-" + i;
                calls.add(() -> {
                    answers.merge(env.chat("split", tag), 1, Integer::sum);
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(calls, 120, TimeUnit.SECONDS)) {
                f.get(); // rethrows a failed call; a cancelled one (over the bound) throws too
            }
        } finally {
            pool.shutdownNow();
        }
        int na = a.count(Kind.CHAT);
        int nb = b.count(Kind.CHAT);
        int nc = c.count(Kind.CHAT);
        assertEquals(1000, na + nb + nc, "one provider call per request");
        assertShare("a", na, 0.2);
        assertShare("b", nb, 0.3);
        assertShare("c", nc, 0.5);
        assertEquals(Map.of("answer from a", na, "answer from b", nb, "answer from c", nc), answers,
                "each client got the answer of the instance that was called");

        List<MultiEnv.LogLine> log = env.log("split-", 1000);
        Map<String, Integer> byInstance = new HashMap<>();
        for (MultiEnv.LogLine l : log) {
            assertEquals("1", l.attempts(), l.toString());
            assertEquals(200, l.status(), l.toString());
            assertEquals("model-" + l.instance(), l.model(), l.toString());
            byInstance.merge(l.instance(), 1, Integer::sum);
        }
        assertEquals(Map.of("a", na, "b", nb, "c", nc), byInstance, "the access log names the serving instance");
    }

    private static void assertShare(String name, int served, double weight) {
        double share = served / 1000.0;
        assertTrue(Math.abs(share - weight) <= 0.05, name + " served " + share + ", weight " + weight);
    }

    @Test
    void consistentHashKeepsEachKeyOnOneInstance() {
        env.route("chash", conf(inst("a", a, 0, 1), inst("b", b, 0, 1), inst("c", c, 0, 1))
                .put("balancer", new JsonObject().put("algorithm", "chash").put("hash_on", "header").put("key", "X-User")));
        Map<String, Set<String>> servedBy = new HashMap<>();
        for (int round = 0; round < 4; round++) {
            for (int user = 0; user < 30; user++) {
                String answer = env.sdk("chash").chat().completions().create(MultiEnv.params("chash")
                                .toBuilder().putAdditionalHeader("X-User", "user-" + user).build())
                        .choices().get(0).message().content().orElse("");
                servedBy.computeIfAbsent("user-" + user, k -> new HashSet<>()).add(answer);
            }
        }
        Set<String> used = new HashSet<>();
        servedBy.forEach((user, answers) -> {
            assertEquals(1, answers.size(), user + " was served by " + answers);
            used.addAll(answers);
        });
        assertTrue(used.size() >= 2, "30 keys spread over the instances: " + used);
        assertEquals(120, a.count(Kind.CHAT) + b.count(Kind.CHAT) + c.count(Kind.CHAT));
    }

    @Test
    void invalidConfigurationsAreRefusedAndNotStored() {
        JsonObject duplicate = conf(inst("same", a, 0, 1), inst("same", b, 0, 1));
        JsonObject none = conf().put("instances", new JsonArray());
        JsonObject tooManyAttempts = conf(inst("a", a, 0, 1), inst("b", b, 0, 1)).put("max_attempts", 6);
        Map<String, JsonObject> bad = Map.of("dup", duplicate, "none", none, "attempts", tooManyAttempts);
        for (Map.Entry<String, JsonObject> e : bad.entrySet()) {
            String id = "bad-" + e.getKey();
            HttpResult r = env.putRoute(id, e.getValue());
            assertEquals(400, r.status(), id + ": " + r);
            String msg = r.jsonObject().getString("error_msg");
            assertTrue(msg != null && msg.contains("ai-proxy-multi"), id + ": " + msg);
            assertEquals(404, env.gw.admin("GET", "/routes/" + id, null).status(), id + " must not be stored");
        }
        assertTrue(env.putRoute("bad-dup", duplicate).jsonObject().getString("error_msg").contains("same"),
                "the duplicate name is named");

        // a valid route is not replaced by an invalid update
        env.route("kept", conf(inst("a", a, 0, 1)));
        assertEquals(400, env.putRoute("kept", tooManyAttempts).status());
        assertEquals("answer from a", env.chat("kept", "kept"));
        assertEquals(0, b.count(Kind.CHAT));
    }
}
