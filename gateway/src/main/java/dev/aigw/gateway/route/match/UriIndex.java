package dev.aigw.gateway.route.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The uri index of one set of routes, in lua-resty-radixtree's order: first the candidates whose
 * exact uri is the path, then the prefix / parameter candidates from the longest matching prefix
 * to the shortest. Within one uri key candidates are ordered by {@link Candidate#compare}. A
 * matching exact uri therefore always beats a prefix, and a longer prefix beats a shorter one,
 * whatever their priorities: {@code priority} only orders routes that share the same uri key.
 *
 * <p>Prefixes live in a character trie whose nodes point to their nearest ancestor holding
 * candidates, so a lookup walks the path once and then climbs, without allocating.
 */
public final class UriIndex {

    /** What a {@link Test} says about one candidate. */
    public static final int NO = 0;
    /** The candidate matches: stop. */
    public static final int MATCH = 1;
    /** The answer depends on the request body, not read yet: stop. */
    public static final int NEED_BODY = 2;

    /** Tests one candidate against the request; returns {@link #NO}, {@link #MATCH} or {@link #NEED_BODY}. */
    @FunctionalInterface
    public interface Test {
        int test(Candidate candidate);
    }

    private static final Candidate[] NONE = new Candidate[0];

    private final Map<String, Candidate[]> exact;
    private final Node root;
    private final int size;

    private UriIndex(Map<String, Candidate[]> exact, Node root, int size) {
        this.exact = exact;
        this.root = root;
        this.size = size;
    }

    /** Number of candidates. */
    public int size() {
        return size;
    }

    /**
     * Offers the candidates for {@code path} to {@code test} in order until one answers other than
     * {@link #NO}; returns that answer, or {@link #NO} when none matched.
     */
    public int find(String path, Test test) {
        Candidate[] ex = exact.get(path);
        if (ex != null) {
            for (Candidate c : ex) {
                int r = test.test(c);
                if (r != NO) {
                    return r;
                }
            }
        }
        // deepest trie node on the path that holds candidates, then its ancestors
        Node node = root;
        Node best = root.entries.length > 0 ? root : null;
        for (int i = 0, n = path.length(); i < n; i++) {
            node = node.child(path.charAt(i));
            if (node == null) {
                break;
            }
            if (node.entries.length > 0) {
                best = node;
            }
        }
        for (Node at = best; at != null; at = at.up) {
            for (Candidate c : at.entries) {
                int r = test.test(c);
                if (r != NO) {
                    return r;
                }
            }
        }
        return NO;
    }

    /** Collects candidates, then freezes them into an index. Not thread-safe; used once. */
    public static final class Builder {
        private final Map<String, List<Candidate>> exact = new HashMap<>();
        private final Node root = new Node();
        private int size;

        public Builder add(Candidate c) {
            PathPattern p = c.path();
            size++;
            if (p.exact()) {
                exact.computeIfAbsent(p.key(), k -> new ArrayList<>(1)).add(c);
                return this;
            }
            Node node = root;
            String key = p.key();
            for (int i = 0; i < key.length(); i++) {
                node = node.childOrCreate(key.charAt(i));
            }
            if (node.pending == null) {
                node.pending = new ArrayList<>(1);
            }
            node.pending.add(c);
            return this;
        }

        public UriIndex build() {
            Map<String, Candidate[]> ex = new HashMap<>(Math.max(16, exact.size() * 2));
            for (Map.Entry<String, List<Candidate>> e : exact.entrySet()) {
                ex.put(e.getKey(), sorted(e.getValue()));
            }
            freeze(root);
            return new UriIndex(ex, root, size);
        }

        private static Candidate[] sorted(List<Candidate> list) {
            Candidate[] arr = list.toArray(NONE);
            Arrays.sort(arr, Candidate::compare);
            return arr;
        }

        /** Sorts entries, trims child arrays and links each node to its nearest ancestor with entries. */
        private static void freeze(Node root) {
            // iterative: a uri may be thousands of characters long
            List<Node> stack = new ArrayList<>();
            stack.add(root);
            root.up = null;
            while (!stack.isEmpty()) {
                Node n = stack.remove(stack.size() - 1);
                n.entries = n.pending == null ? NONE : sorted(n.pending);
                n.pending = null;
                if (n.labels.length != n.count) {
                    n.labels = Arrays.copyOf(n.labels, n.count);
                    n.kids = Arrays.copyOf(n.kids, n.count);
                }
                Node upForKids = n.entries.length > 0 ? n : n.up;
                for (int i = 0; i < n.count; i++) {
                    n.kids[i].up = upForKids;
                    stack.add(n.kids[i]);
                }
            }
        }
    }

    /**
     * A trie node. Mutable only while its {@link Builder} runs; the finished index is published
     * through final fields, so readers on other threads see the frozen state.
     */
    private static final class Node {
        private static final char[] NO_LABELS = new char[0];
        private static final Node[] NO_KIDS = new Node[0];

        char[] labels = NO_LABELS;
        Node[] kids = NO_KIDS;
        int count;
        Candidate[] entries = NONE;
        List<Candidate> pending;
        Node up;

        Node child(char c) {
            int i = Arrays.binarySearch(labels, 0, count, c);
            return i >= 0 ? kids[i] : null;
        }

        Node childOrCreate(char c) {
            int i = Arrays.binarySearch(labels, 0, count, c);
            if (i >= 0) {
                return kids[i];
            }
            int at = -i - 1;
            if (count == labels.length) {
                int cap = Math.max(2, count * 2);
                labels = Arrays.copyOf(labels, cap);
                kids = Arrays.copyOf(kids, cap);
            }
            System.arraycopy(labels, at, labels, at + 1, count - at);
            System.arraycopy(kids, at, kids, at + 1, count - at);
            Node n = new Node();
            labels[at] = c;
            kids[at] = n;
            count++;
            return n;
        }
    }
}
