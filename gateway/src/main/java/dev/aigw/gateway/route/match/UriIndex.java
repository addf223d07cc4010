package dev.aigw.gateway.route.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The uri index of one set of routes, in lua-resty-radixtree's order: first the candidates whose
 * exact uri is the path, then the prefix / parameter candidates from the longest matching prefix
 * to the shortest. Within one uri key candidates are ordered by {@link Candidate#compare}. A
 * matching exact uri therefore always beats a prefix, and a longer prefix beats a shorter one,
 * whatever their priorities: {@code priority} only orders routes that share the same uri key.
 *
 * <h2>Structure</h2>
 * One path-compressed character trie (a radix tree) holds both kinds of keys: the node where a key
 * ends keeps the exact candidates of that uri and the prefix candidates of that literal prefix, each
 * sorted. Every node but the root holds candidates or has at least two children, so the shape
 * depends only on the set of keys.
 *
 * <p>The index is immutable and persistent: {@link #with} and {@link #without} return a new index
 * that copies only the nodes on the candidate's key path and shares all others, so a route change
 * costs O(key length), not O(routes). Nodes keep no parent pointers, which is what lets a node sit
 * in several versions of the index. {@link Builder} builds a large index at once without copying.
 *
 * <p>A lookup walks the path once and never allocates: the three deepest nodes with prefix
 * candidates are kept in locals, and any shallower one is found again by a fresh walk from the root.
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

    /** The index without candidates. */
    public static final UriIndex EMPTY = new UriIndex(Node.ROOT, 0);

    private final Node root;
    private final int size;

    private UriIndex(Node root, int size) {
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
        int n = path.length();
        Node node = root;
        int depth = 0;
        boolean whole = false;
        // the deepest nodes with prefix candidates on the path, deepest first; "count" counts them all
        Node p0 = null;
        Node p1 = null;
        Node p2 = null;
        int count = 0;
        while (true) {
            if (node.prefix.length > 0) {
                p2 = p1;
                p1 = p0;
                p0 = node;
                count++;
            }
            if (depth == n) {
                whole = true;
                break;
            }
            Node kid = node.child(path.charAt(depth));
            if (kid == null || !path.startsWith(kid.seg, depth)) {
                break;
            }
            depth += kid.seg.length();
            node = kid;
        }
        int r;
        if (whole && (r = offer(node.exact, test)) != NO) {
            return r;
        }
        if (count == 0) {
            return NO;
        }
        if ((r = offer(p0.prefix, test)) != NO || count == 1) {
            return r;
        }
        if ((r = offer(p1.prefix, test)) != NO || count == 2) {
            return r;
        }
        if ((r = offer(p2.prefix, test)) != NO) {
            return r;
        }
        // rare: more than three nested prefixes on one path; re-walk rather than allocate
        for (int k = count - 4; k >= 0; k--) {
            if ((r = offer(prefixNode(path, k).prefix, test)) != NO) {
                return r;
            }
        }
        return NO;
    }

    private static int offer(Candidate[] candidates, Test test) {
        for (Candidate c : candidates) {
            int r = test.test(c);
            if (r != NO) {
                return r;
            }
        }
        return NO;
    }

    /** The {@code k}-th (from the root, 0-based) node with prefix candidates on the path; it exists. */
    private Node prefixNode(String path, int k) {
        Node node = root;
        int depth = 0;
        int seen = 0;
        while (true) {
            if (node.prefix.length > 0 && seen++ == k) {
                return node;
            }
            Node kid = node.child(path.charAt(depth));
            depth += kid.seg.length();
            node = kid;
        }
    }

    /**
     * A new index that also holds {@code c}, after the candidates of its key that sort before or
     * equal to it. Shares every node not on the key's path.
     */
    public UriIndex with(Candidate c) {
        String key = c.path().key();
        boolean exact = c.path().exact();
        List<Node> trail = new ArrayList<>();
        Node node = root;
        int i = 0;
        Node replacement;
        while (true) {
            if (i == key.length()) {
                replacement = node.adding(c, exact);
                break;
            }
            Node kid = node.child(key.charAt(i));
            if (kid == null) {
                replacement = node.withKid(Node.leaf(key.substring(i), c, exact));
                break;
            }
            int m = commonPrefix(kid.seg, key, i);
            if (m == kid.seg.length()) {
                trail.add(node);
                node = kid;
                i += m;
                continue;
            }
            // the key leaves (or ends inside) kid's edge: split the edge at m
            Node tail = kid.withSeg(kid.seg.substring(m));
            String head = kid.seg.substring(0, m);
            Node mid;
            if (i + m == key.length()) {
                mid = new Node(head, new char[] {tail.seg.charAt(0)}, new Node[] {tail},
                        exact ? new Candidate[] {c} : NONE, exact ? NONE : new Candidate[] {c});
            } else {
                mid = new Node(head, new char[0], new Node[0], NONE, NONE)
                        .withKid(tail).withKid(Node.leaf(key.substring(i + m), c, exact));
            }
            replacement = node.withKid(mid);
            break;
        }
        for (int t = trail.size() - 1; t >= 0; t--) {
            replacement = trail.get(t).withKid(replacement);
        }
        return new UriIndex(replacement, size + 1);
    }

    /**
     * A new index without {@code c} (compared by identity), or this index when it does not hold
     * {@code c}. Nodes left without candidates are pruned or merged into their only child.
     */
    public UriIndex without(Candidate c) {
        String key = c.path().key();
        boolean exact = c.path().exact();
        List<Node> trail = new ArrayList<>();
        Node node = root;
        int i = 0;
        while (i < key.length()) {
            Node kid = node.child(key.charAt(i));
            if (kid == null || !key.startsWith(kid.seg, i)) {
                return this;
            }
            trail.add(node);
            node = kid;
            i += kid.seg.length();
        }
        Candidate[] arr = exact ? node.exact : node.prefix;
        int at = -1;
        for (int k = 0; k < arr.length; k++) {
            if (arr[k] == c) {
                at = k;
                break;
            }
        }
        if (at < 0) {
            return this;
        }
        Candidate[] left = new Candidate[arr.length - 1];
        System.arraycopy(arr, 0, left, 0, at);
        System.arraycopy(arr, at + 1, left, at, left.length - at);
        Node replacement = exact ? node.withExact(left) : node.withPrefix(left);
        Node original = node;
        for (int t = trail.size() - 1; t >= 0; t--) {
            Node parent = trail.get(t);
            Node norm = normalized(replacement);
            replacement = norm == null ? parent.withoutKid(original.seg.charAt(0)) : parent.withKid(norm);
            original = parent;
        }
        return new UriIndex(replacement, size - 1);
    }

    /**
     * A non-root node in canonical form: null when it holds nothing, merged into its only child when
     * it holds no candidates, else itself.
     */
    private static Node normalized(Node n) {
        if (n.exact.length > 0 || n.prefix.length > 0) {
            return n;
        }
        if (n.kids.length == 0) {
            return null;
        }
        if (n.kids.length == 1) {
            Node only = n.kids[0];
            return only.withSeg(n.seg + only.seg);
        }
        return n;
    }

    private static int commonPrefix(String seg, String key, int from) {
        int max = Math.min(seg.length(), key.length() - from);
        int m = 0;
        while (m < max && seg.charAt(m) == key.charAt(from + m)) {
            m++;
        }
        return m;
    }

    /** Number of trie nodes, the root included; for tests of pruning and sharing. */
    int nodeCount() {
        int count = 0;
        List<Node> stack = new ArrayList<>();
        stack.add(root);
        while (!stack.isEmpty()) {
            Node n = stack.remove(stack.size() - 1);
            count++;
            stack.addAll(Arrays.asList(n.kids));
        }
        return count;
    }

    /**
     * Collects candidates, then freezes them into an index, without the per-candidate path copying
     * of {@link #with}: for building thousands of candidates at once. Not thread-safe; used once.
     */
    public static final class Builder {
        private MNode root = new MNode("");
        private int size;

        public Builder add(Candidate c) {
            if (root == null) {
                throw new IllegalStateException("already built");
            }
            PathPattern p = c.path();
            MNode node = root.insert(p.key());
            List<Candidate> list;
            if (p.exact()) {
                list = node.exact == null ? (node.exact = new ArrayList<>(1)) : node.exact;
            } else {
                list = node.prefix == null ? (node.prefix = new ArrayList<>(1)) : node.prefix;
            }
            list.add(c);
            size++;
            return this;
        }

        /** The index, of the same shape as one grown by {@link UriIndex#with}. */
        public UriIndex build() {
            if (root == null) {
                throw new IllegalStateException("already built");
            }
            MNode top = root;
            root = null;
            if (size == 0) {
                return EMPTY;
            }
            // iterative post-order: a uri may be thousands of characters long
            List<Frame> stack = new ArrayList<>();
            stack.add(new Frame(top, ""));
            Node built = null;
            while (!stack.isEmpty()) {
                Frame f = stack.get(stack.size() - 1);
                if (f.next < f.end.count) {
                    MNode m = f.end.kids[f.next];
                    f.next++;
                    stack.add(new Frame(m, m.seg));
                    continue;
                }
                stack.remove(stack.size() - 1);
                MNode e = f.end;
                char[] labels = Arrays.copyOf(e.labels, e.count);
                Node node = new Node(f.seg, labels, f.built, sorted(e.exact), sorted(e.prefix));
                if (stack.isEmpty()) {
                    built = node;
                } else {
                    Frame parent = stack.get(stack.size() - 1);
                    parent.built[parent.next - 1] = node;
                }
            }
            return new UriIndex(built, size);
        }

        private static Candidate[] sorted(List<Candidate> list) {
            if (list == null) {
                return NONE;
            }
            Candidate[] arr = list.toArray(NONE);
            Arrays.sort(arr, Candidate::compare); // stable: equal candidates keep insertion order
            return arr;
        }

        /** A node of the builder's trie being frozen: its children built so far. */
        private static final class Frame {
            final MNode end;
            final String seg;
            final Node[] built;
            int next;

            Frame(MNode end, String seg) {
                this.end = end;
                this.seg = seg;
                this.built = new Node[end.count];
            }
        }
    }

    /**
     * A mutable node of the builder's radix tree, only inside a {@link Builder}. Edges are split as
     * keys arrive, so the tree has the shape {@link UriIndex#with} would give it (about two nodes per
     * key, not one per character: 10 000 routes with long uris must not cost a node per letter).
     */
    private static final class MNode {
        String seg;
        char[] labels = new char[0];
        MNode[] kids = new MNode[0];
        int count;
        List<Candidate> exact;
        List<Candidate> prefix;

        MNode(String seg) {
            this.seg = seg;
        }

        /** The node where {@code key} ends, created (splitting an edge if needed) when missing. */
        MNode insert(String key) {
            MNode node = this;
            int i = 0;
            while (i < key.length()) {
                int k = Arrays.binarySearch(node.labels, 0, node.count, key.charAt(i));
                if (k < 0) {
                    MNode leaf = new MNode(key.substring(i));
                    node.insertKid(-k - 1, leaf);
                    return leaf;
                }
                MNode kid = node.kids[k];
                int m = commonPrefix(kid.seg, key, i);
                if (m < kid.seg.length()) {
                    // the key leaves (or ends inside) the kid's edge: split the edge at m
                    MNode mid = new MNode(kid.seg.substring(0, m));
                    kid.seg = kid.seg.substring(m);
                    mid.insertKid(0, kid);
                    node.kids[k] = mid; // same first character: labels unchanged
                    kid = mid;
                }
                node = kid;
                i += m;
            }
            return node;
        }

        private void insertKid(int at, MNode kid) {
            if (count == labels.length) {
                int cap = Math.max(2, count * 2);
                labels = Arrays.copyOf(labels, cap);
                kids = Arrays.copyOf(kids, cap);
            }
            System.arraycopy(labels, at, labels, at + 1, count - at);
            System.arraycopy(kids, at, kids, at + 1, count - at);
            labels[at] = kid.seg.charAt(0);
            kids[at] = kid;
            count++;
        }
    }

    /**
     * An immutable trie node, shared by every index version that contains it. Updates copy it with
     * the {@code with*} methods.
     */
    private static final class Node {
        static final Node ROOT = new Node("", new char[0], new Node[0], NONE, NONE);

        /** The edge label from the parent (non-empty except at the root). */
        final String seg;
        /** The first character of each child's {@link #seg}, sorted; parallel to {@link #kids}. */
        final char[] labels;
        final Node[] kids;
        /** Candidates whose exact uri ends here, sorted. */
        final Candidate[] exact;
        /** Candidates whose prefix ends here, sorted. */
        final Candidate[] prefix;

        Node(String seg, char[] labels, Node[] kids, Candidate[] exact, Candidate[] prefix) {
            this.seg = seg;
            this.labels = labels;
            this.kids = kids;
            this.exact = exact;
            this.prefix = prefix;
        }

        static Node leaf(String seg, Candidate c, boolean exact) {
            Candidate[] one = {c};
            return new Node(seg, new char[0], new Node[0], exact ? one : NONE, exact ? NONE : one);
        }

        Node child(char c) {
            char[] l = labels;
            if (l.length > 8) {
                int i = Arrays.binarySearch(l, c);
                return i >= 0 ? kids[i] : null;
            }
            // most nodes have a few children: a linear scan beats a binary search there
            for (int i = 0; i < l.length; i++) {
                if (l[i] == c) {
                    return kids[i];
                }
            }
            return null;
        }

        Node withSeg(String s) {
            return new Node(s, labels, kids, exact, prefix);
        }

        Node withExact(Candidate[] e) {
            return new Node(seg, labels, kids, e, prefix);
        }

        Node withPrefix(Candidate[] p) {
            return new Node(seg, labels, kids, exact, p);
        }

        /** With {@code c} inserted after the equal-or-smaller candidates of its kind. */
        Node adding(Candidate c, boolean isExact) {
            Candidate[] arr = isExact ? exact : prefix;
            int at = arr.length;
            while (at > 0 && Candidate.compare(arr[at - 1], c) > 0) {
                at--;
            }
            Candidate[] out = new Candidate[arr.length + 1];
            System.arraycopy(arr, 0, out, 0, at);
            out[at] = c;
            System.arraycopy(arr, at, out, at + 1, arr.length - at);
            return isExact ? withExact(out) : withPrefix(out);
        }

        /** With {@code kid} added, or replacing the child whose label starts with the same character. */
        Node withKid(Node kid) {
            char c = kid.seg.charAt(0);
            int i = Arrays.binarySearch(labels, c);
            if (i >= 0) {
                Node[] k = kids.clone();
                k[i] = kid;
                return new Node(seg, labels, k, exact, prefix);
            }
            int at = -i - 1;
            char[] l = new char[labels.length + 1];
            Node[] k = new Node[kids.length + 1];
            System.arraycopy(labels, 0, l, 0, at);
            System.arraycopy(kids, 0, k, 0, at);
            l[at] = c;
            k[at] = kid;
            System.arraycopy(labels, at, l, at + 1, labels.length - at);
            System.arraycopy(kids, at, k, at + 1, kids.length - at);
            return new Node(seg, l, k, exact, prefix);
        }

        /** Without the child whose label starts with {@code c} (present). */
        Node withoutKid(char c) {
            int at = Arrays.binarySearch(labels, c);
            char[] l = new char[labels.length - 1];
            Node[] k = new Node[kids.length - 1];
            System.arraycopy(labels, 0, l, 0, at);
            System.arraycopy(kids, 0, k, 0, at);
            System.arraycopy(labels, at + 1, l, at, l.length - at);
            System.arraycopy(kids, at + 1, k, at, k.length - at);
            return new Node(seg, l, k, exact, prefix);
        }
    }
}
