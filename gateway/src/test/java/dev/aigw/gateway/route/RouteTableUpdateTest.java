package dev.aigw.gateway.route;

import dev.aigw.gateway.route.match.Candidate;
import dev.aigw.gateway.route.match.RouteConditions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RouteTable#update}: a persistent table updated route by route must answer exactly as one
 * built at once from the same routes, and share what a change does not touch.
 */
class RouteTableUpdateTest {

    private static List<Candidate> cands(String id, JsonObject def) {
        Route r = new Route(id, null, def, List.of(), null, 0);
        return RouteTable.candidatesOf(r, RouteConditions.compile(def));
    }

    private static List<Candidate> cands(String id, String json) {
        return cands(id, new JsonObject(json));
    }

    private static String matched(RouteTable t, String host, String path) {
        Route r = t.matchUriAndHost(host, path);
        return r == null ? "none" : r.id();
    }

    @Test
    void candidatesOfOneRoute() {
        List<Candidate> c = cands("m", "{\"uris\":[\"/a\",\"/b/*\"],\"priority\":2}");
        assertEquals(2, c.size());
        assertEquals("/a", c.get(0).path().source());
        assertEquals(1, c.get(1).uriPos());
        assertTrue(cands("off", "{\"uri\":\"/a\",\"status\":0}").isEmpty());
        assertEquals(0, RouteTable.ofCandidates(List.of(List.of())).size());
    }

    @Test
    void addRemoveAndReplace() {
        List<Candidate> exact = cands("exact", "{\"uri\":\"/v1/chat\"}");
        List<Candidate> prefix = cands("prefix", "{\"uri\":\"/v1/*\",\"priority\":100}");
        List<Candidate> low = cands("low", "{\"uri\":\"/v1/chat\",\"priority\":-1}");
        RouteTable t = RouteTable.EMPTY.update(List.of(), List.of(prefix, low));
        assertEquals(2, t.size());
        assertEquals("low", matched(t, "", "/v1/chat"));
        RouteTable t2 = t.update(List.of(), List.of(exact));
        assertEquals(3, t2.size());
        // exact beats prefix whatever the priority; within the key priority then id
        assertEquals("exact", matched(t2, "", "/v1/chat"));
        assertEquals("prefix", matched(t2, "", "/v1/other"));
        // the old table is untouched
        assertEquals("low", matched(t, "", "/v1/chat"));
        // replace: remove the old list, add the new one
        List<Candidate> exact2 = cands("exact", "{\"uri\":\"/v1/models\"}");
        RouteTable t3 = t2.update(List.of(exact), List.of(exact2));
        assertEquals(3, t3.size());
        assertEquals("low", matched(t3, "", "/v1/chat"));
        assertEquals("exact", matched(t3, "", "/v1/models"));
        RouteTable t4 = t3.update(List.of(exact2, low, prefix), List.of());
        assertEquals(0, t4.size());
        assertEquals("none", matched(t4, "", "/v1/chat"));
        assertEquals(0, t4.anyHostIndex().size());
        // a removed list that was never added changes no index
        RouteTable t5 = t3.update(List.of(cands("ghost", "{\"uri\":\"/v1/chat\"}")), List.of());
        assertSame(t3.anyHostIndex(), t5.anyHostIndex());
        // disabled routes count nowhere
        assertEquals(3, t3.update(List.of(), List.of(cands("off", "{\"uri\":\"/x\",\"status\":0}"))).size());
    }

    @Test
    void hostsAndStructureSharing() {
        List<Candidate> a = cands("a", "{\"uri\":\"/h/*\",\"hosts\":[\"a.test\",\"a.test\"]}");
        List<Candidate> b = cands("b", "{\"uri\":\"/h/*\",\"host\":\"b.test\"}");
        List<Candidate> wild = cands("wild", "{\"uri\":\"/h/*\",\"host\":\"*.test\"}");
        List<Candidate> star = cands("star", "{\"uri\":\"/h/x\",\"host\":\"*\"}");
        List<Candidate> any = cands("any", "{\"uri\":\"/h/x\"}");
        RouteTable t = RouteTable.ofCandidates(List.of(a, b, wild, star, any));
        assertEquals(5, t.size());
        assertEquals("a", matched(t, "a.test", "/h/x"));
        assertEquals("wild", matched(t, "c.test", "/h/x"));
        assertEquals("star", matched(t, "c.org", "/h/x"));
        assertEquals("none", matched(t, "c.org", "/h/y"));

        List<Candidate> a2 = cands("a", "{\"uri\":\"/h/x\",\"host\":\"a.test\"}");
        RouteTable t2 = t.update(List.of(a), List.of(a2));
        assertSame(t.exactHostIndex("b.test"), t2.exactHostIndex("b.test"), "untouched host index shared");
        assertSame(t.anyHostIndex(), t2.anyHostIndex());
        assertNotSame(t.exactHostIndex("a.test"), t2.exactHostIndex("a.test"));
        assertEquals(1, t2.exactHostIndex("a.test").size(), "a host listed twice holds the candidate once");
        assertEquals("a", matched(t2, "a.test", "/h/x"));
        assertEquals("wild", matched(t2, "a.test", "/h/y"));

        RouteTable t3 = t2.update(List.of(a2, wild, star), List.of());
        assertNull(t3.exactHostIndex("a.test"), "a host left without routes disappears");
        assertEquals("any", matched(t3, "a.test", "/h/x"));
        assertEquals("none", matched(t3, "c.test", "/h/y"));
        assertEquals(2, t3.size());
    }

    /** Random routes under a random sequence of add / remove / replace, checked after every step. */
    @Test
    void randomUpdatesAnswerAsABulkBuild() {
        Random rnd = new Random(0x5eed_2024L);
        String[] segs = {"a", "b", "ab", "v1", "chat"};
        String[] hostPool = {"x.com", "y.com", "a.x.com", "*.x.com", "*.com", "*"};
        String[] requestHosts = {"x.com", "y.com", "a.x.com", "b.x.com", "z.com", "z.org", ""};
        Map<String, List<Candidate>> live = new LinkedHashMap<>();
        RouteTable table = RouteTable.EMPTY;
        int nextId = 0;
        for (int step = 0; step < 250; step++) {
            List<List<Candidate>> removed = new ArrayList<>();
            List<List<Candidate>> added = new ArrayList<>();
            // update removes before it adds: a route added in this step is not removed in it too
            List<String> removable = new ArrayList<>(live.keySet());
            int ops = 1 + rnd.nextInt(3);
            for (int op = 0; op < ops; op++) {
                int kind = removable.isEmpty() ? 0 : rnd.nextInt(3);
                String id;
                if (kind == 0) {
                    id = "r" + (nextId++);
                } else {
                    id = removable.remove(rnd.nextInt(removable.size()));
                    removed.add(live.remove(id));
                }
                if (kind != 1) {
                    List<Candidate> c = cands(id, randomRoute(rnd, segs, hostPool));
                    live.put(id, c);
                    added.add(c);
                }
            }
            table = table.update(removed, added);
            RouteTable expected = RouteTable.ofCandidates(live.values());
            assertEquals(expected.size(), table.size(), "size at step " + step);
            for (int q = 0; q < 300; q++) {
                String host = requestHosts[rnd.nextInt(requestHosts.length)];
                String path = randomPath(rnd, segs);
                assertEquals(matched(expected, host, path), matched(table, host, path),
                        "step " + step + " host " + host + " path " + path);
            }
        }
        assertTrue(nextId > 50, "the sequence added routes");
    }

    private static JsonObject randomRoute(Random rnd, String[] segs, String[] hostPool) {
        JsonObject def = new JsonObject();
        JsonArray uris = new JsonArray();
        for (int u = 1 + rnd.nextInt(3); u > 0; u--) {
            StringBuilder uri = new StringBuilder();
            for (int i = rnd.nextInt(3); i > 0; i--) {
                uri.append('/').append(segs[rnd.nextInt(segs.length)]);
            }
            switch (rnd.nextInt(5)) {
                case 0 -> uri.append("/*");
                case 1 -> uri.append(uri.length() == 0 ? "/" : "").append('*');
                case 2 -> uri.append("/:id");
                case 3 -> uri.append("/:id/").append(segs[rnd.nextInt(segs.length)]);
                default -> {
                    if (uri.length() == 0) {
                        uri.append('/');
                    }
                }
            }
            uris.add(uri.toString());
        }
        def.put("uris", uris);
        if (rnd.nextInt(3) > 0) {
            JsonArray hosts = new JsonArray();
            for (int h = 1 + rnd.nextInt(2); h > 0; h--) {
                hosts.add(hostPool[rnd.nextInt(hostPool.length)]);
            }
            def.put("hosts", hosts);
        }
        if (rnd.nextBoolean()) {
            def.put("priority", rnd.nextInt(3));
        }
        if (rnd.nextInt(10) == 0) {
            def.put("status", 0);
        }
        return def;
    }

    private static String randomPath(Random rnd, String[] segs) {
        StringBuilder path = new StringBuilder();
        for (int i = rnd.nextInt(5); i > 0; i--) {
            path.append('/').append(segs[rnd.nextInt(segs.length)]);
        }
        if (path.length() == 0 || rnd.nextInt(4) == 0) {
            path.append('/');
        }
        return path.toString();
    }
}
