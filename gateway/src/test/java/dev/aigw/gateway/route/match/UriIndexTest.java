package dev.aigw.gateway.route.match;

import dev.aigw.gateway.route.Route;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The persistent uri index: lookup order, {@code with}/{@code without}, pruning and the bulk builder. */
class UriIndexTest {

    private static Candidate cand(String id, String uri, int priority) {
        JsonObject def = new JsonObject().put("uri", uri).put("priority", priority);
        RouteConditions cond = RouteConditions.compile(def);
        return new Candidate(new Route(id, null, def, List.of(), null, 0), cond, cond.uris().get(0), 0);
    }

    private static Candidate cand(String id, String uri) {
        return cand(id, uri, 0);
    }

    /** Every candidate offered for {@code path}, in order (the test never matches). */
    private static List<String> offered(UriIndex ix, String path) {
        List<String> out = new ArrayList<>();
        int r = ix.find(path, c -> {
            out.add(c.route().id());
            return UriIndex.NO;
        });
        assertEquals(UriIndex.NO, r);
        return out;
    }

    private static UriIndex withAll(UriIndex ix, Candidate... cs) {
        for (Candidate c : cs) {
            ix = ix.with(c);
        }
        return ix;
    }

    private static UriIndex built(Candidate... cs) {
        UriIndex.Builder b = new UriIndex.Builder();
        for (Candidate c : cs) {
            b.add(c);
        }
        return b.build();
    }

    @Test
    void exactFirstThenPrefixesLongestFirst() {
        Candidate[] cs = {
            cand("root", "/*"), cand("a-star", "/a*"), cand("a-slash", "/a/*"), cand("a-param", "/a/:id"),
            cand("exact", "/a/b"), cand("other-exact", "/a"), cand("deeper", "/a/b/c*"), cand("sibling", "/b*"),
        };
        UriIndex ix = withAll(UriIndex.EMPTY, cs);
        assertEquals(cs.length, ix.size());
        // /a/:id sorts before /a/* (same key "/a/", longer configured uri)
        assertEquals(List.of("exact", "a-param", "a-slash", "a-star", "root"), offered(ix, "/a/b"));
        assertEquals(List.of("other-exact", "a-star", "root"), offered(ix, "/a"));
        assertEquals(List.of("deeper", "a-param", "a-slash", "a-star", "root"), offered(ix, "/a/b/cd"));
        // the walk stops inside an edge: "/a/b/" is no key, the exact "/a/b" is not offered
        assertEquals(List.of("a-param", "a-slash", "a-star", "root"), offered(ix, "/a/b/"));
        assertEquals(List.of("root"), offered(ix, "/c"));
        assertEquals(List.of(), offered(ix, "x"));
        assertEquals(List.of(), offered(UriIndex.EMPTY, "/a"));
        // the bulk builder gives the same order
        UriIndex b = built(cs);
        for (String p : List.of("/a/b", "/a", "/a/b/cd", "/a/b/", "/c", "x", "/", "")) {
            assertEquals(offered(ix, p), offered(b, p), p);
        }
        assertEquals(ix.nodeCount(), b.nodeCount());
    }

    @Test
    void priorityThenLongerUriThenIdWithinOneKey() {
        Candidate low = cand("low", "/p", 1);
        Candidate high = cand("high", "/p", 5);
        Candidate mid = cand("mid", "/p", 3);
        Candidate midB = cand("mid-b", "/p", 3);
        Candidate pre = cand("pre", "/p*", 9);
        Candidate preLonger = cand("pre-longer", "/p*", 2);
        Candidate preParam = cand("pre-param", "/p:x", 2);
        UriIndex ix = withAll(UriIndex.EMPTY, low, midB, pre, high, preLonger, mid, preParam);
        // an exact uri beats every prefix, whatever the priorities
        assertEquals(List.of("high", "mid", "mid-b", "low", "pre", "pre-param", "pre-longer"), offered(ix, "/p"));
        UriIndex other = withAll(UriIndex.EMPTY, preParam, mid, high, preLonger, low, pre, midB);
        assertEquals(offered(ix, "/p"), offered(other, "/p"));
        assertEquals(offered(ix, "/p"), offered(built(low, midB, pre, high, preLonger, mid, preParam), "/p"));
        assertEquals(List.of("high", "mid-b", "low", "pre", "pre-param", "pre-longer"),
                offered(ix.without(mid), "/p"));
    }

    @Test
    void removalPrunesAndMergesNodes() {
        Candidate abc = cand("abc", "/abc");
        Candidate abd = cand("abd", "/abd*");
        Candidate ab = cand("ab", "/ab");
        Candidate x = cand("x", "/x/y/z");
        UriIndex two = withAll(UriIndex.EMPTY, abc, abd);
        UriIndex all = withAll(two, ab, x);
        assertEquals(4, all.size());
        UriIndex back = all.without(x).without(ab);
        assertEquals(2, back.size());
        assertEquals(two.nodeCount(), back.nodeCount());
        assertEquals(List.of("abc"), offered(back, "/abc"));
        assertEquals(List.of(), offered(back, "/ab"));
        assertEquals(List.of("abd"), offered(back, "/abdx"));
        UriIndex none = back.without(abd).without(abc);
        assertEquals(0, none.size());
        assertEquals(1, none.nodeCount());
        assertEquals(List.of(), offered(none, "/abc"));
    }

    @Test
    void removingAnAbsentCandidateIsANoOp() {
        Candidate a = cand("a", "/a/*");
        UriIndex ix = UriIndex.EMPTY.with(a);
        assertSame(ix, ix.without(cand("a", "/a/*")), "same key and route id, another instance");
        assertSame(ix, ix.without(cand("b", "/a")), "key on an edge, no node");
        assertSame(ix, ix.without(cand("c", "/zz")), "no such child");
        assertSame(UriIndex.EMPTY, UriIndex.EMPTY.without(a));
        assertEquals(1, ix.size());
    }

    @Test
    void updatesLeaveTheOldVersionIntact() {
        Candidate a = cand("a", "/a");
        Candidate b = cand("b", "/a*");
        UriIndex v1 = UriIndex.EMPTY.with(a);
        UriIndex v2 = v1.with(b);
        UriIndex v3 = v2.without(a);
        assertEquals(List.of("a"), offered(v1, "/a"));
        assertEquals(List.of("a", "b"), offered(v2, "/a"));
        assertEquals(List.of("b"), offered(v3, "/a"));
    }

    @Test
    void manyNestedPrefixesOnALongPath() {
        // more nested prefixes than the lookup keeps in locals, on a path longer than a small stack allows recursing
        List<Candidate> cs = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        StringBuilder key = new StringBuilder("/");
        for (int i = 0; i < 40; i++) {
            key.append("a".repeat(i % 3 == 0 ? 1 : 100));
            cs.add(cand("p" + i, key + "*"));
            expected.add(0, "p" + i);
        }
        String path = key + "tail";
        UriIndex ix = withAll(UriIndex.EMPTY, cs.toArray(new Candidate[0]));
        assertEquals(expected, offered(ix, path));
        assertEquals(expected, offered(built(cs.toArray(new Candidate[0])), path));
        // the third, fourth and fifth deepest are found too when they match
        for (int k : new int[] {0, 2, 3, 4, 39}) {
            String want = expected.get(k);
            Candidate[] got = new Candidate[1];
            int r = ix.find(path, c -> {
                if (c.route().id().equals(want)) {
                    got[0] = c;
                    return UriIndex.MATCH;
                }
                return UriIndex.NO;
            });
            assertEquals(UriIndex.MATCH, r);
            assertEquals(want, got[0].route().id());
        }
        String exactLong = "/" + "b".repeat(20_000);
        UriIndex withLong = ix.with(cand("long", exactLong));
        assertEquals(List.of("long"), offered(withLong, exactLong));
        assertEquals(ix.nodeCount(), withLong.without(withLongCandidate(withLong, exactLong)).nodeCount());
    }

    private static Candidate withLongCandidate(UriIndex ix, String path) {
        Candidate[] got = new Candidate[1];
        ix.find(path, c -> {
            got[0] = c;
            return UriIndex.MATCH;
        });
        return got[0];
    }

    @Test
    void randomUpdatesMatchTheBulkBuilder() {
        Random rnd = new Random(20240611L);
        String[] parts = {"a", "b", "ab", "v1", "/"};
        List<Candidate> live = new ArrayList<>();
        UriIndex ix = UriIndex.EMPTY;
        for (int step = 0; step < 400; step++) {
            if (!live.isEmpty() && rnd.nextInt(3) == 0) {
                Candidate gone = live.remove(rnd.nextInt(live.size()));
                ix = ix.without(gone);
            } else {
                StringBuilder uri = new StringBuilder("/");
                for (int i = rnd.nextInt(4); i > 0; i--) {
                    uri.append(parts[rnd.nextInt(parts.length)]);
                }
                switch (rnd.nextInt(4)) {
                    case 0 -> uri.append('*');
                    case 1 -> uri.append("/:id");
                    default -> { }
                }
                Candidate c = cand("r" + step, uri.toString(), rnd.nextInt(3));
                live.add(c);
                ix = ix.with(c);
            }
            UriIndex expected = built(live.toArray(new Candidate[0]));
            assertEquals(expected.size(), ix.size());
            assertEquals(expected.nodeCount(), ix.nodeCount(), "canonical shape at step " + step);
            for (int q = 0; q < 20; q++) {
                StringBuilder path = new StringBuilder("/");
                for (int i = rnd.nextInt(5); i > 0; i--) {
                    path.append(parts[rnd.nextInt(parts.length)]);
                }
                assertEquals(offered(expected, path.toString()), offered(ix, path.toString()),
                        "step " + step + " path " + path);
            }
        }
    }
}
