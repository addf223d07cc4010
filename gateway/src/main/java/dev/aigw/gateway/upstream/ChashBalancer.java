package dev.aigw.gateway.upstream;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.UpstreamDefinition.HashOn;
import dev.aigw.gateway.upstream.UpstreamDefinition.Node;
import io.vertx.core.http.Cookie;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Consistent hashing (APISIX's {@code chash}): 160 points per unit of weight on a CRC32 ring; the key
 * comes from a variable, a header, a cookie or the consumer ({@code hash_on}), falling back to
 * {@code remote_addr} when it is missing. A retry walks the ring from the last pick to the next node
 * not tried yet. Immutable after construction.
 */
final class ChashBalancer implements Balancer {

    private static final int POINTS = 160;
    private static final int MAX_POINTS = 1 << 18;

    private final HashOn hashOn;
    private final String key;
    private final String headerAlt;
    /** Ring point hashes (unsigned 32-bit in a long), sorted, with the node index of each. */
    private final long[] ring;
    private final int[] owner;

    ChashBalancer(List<Node> nodes, HashOn hashOn, String key) {
        this.hashOn = hashOn;
        this.key = key;
        this.headerAlt = key == null ? null : key.replace('_', '-');
        long gcd = 0;
        for (Node n : nodes) {
            gcd = Balancer.gcd(gcd, n.weight());
        }
        if (gcd == 0) {
            gcd = 1;
        }
        long total = 0;
        for (Node n : nodes) {
            total += n.weight() / gcd * POINTS;
        }
        double scale = total > MAX_POINTS ? (double) MAX_POINTS / total : 1.0;
        long[][] pts = new long[(int) Math.min(total, MAX_POINTS) + nodes.size()][];
        int c = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            long count = n.weight() == 0 ? 0 : Math.max(1, Math.round(n.weight() / gcd * POINTS * scale));
            for (int p = 0; p < count && c < pts.length; p++) {
                pts[c++] = new long[] {crc32(n.host() + "\0" + n.port() + "\0" + p), i};
            }
        }
        long[][] used = Arrays.copyOf(pts, c);
        Arrays.sort(used, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        ring = new long[c];
        owner = new int[c];
        for (int i = 0; i < c; i++) {
            ring[i] = used[i][0];
            owner[i] = (int) used[i][1];
        }
    }

    static long crc32(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    @Override
    public int pick(RequestContext ctx, Tries tries) {
        if (ring.length == 0) {
            return -1;
        }
        if (tries == null || tries.ringPos < 0) {
            int pos = Arrays.binarySearch(ring, crc32(hashKey(ctx)));
            if (pos < 0) {
                pos = -pos - 1;
            }
            pos = pos % ring.length;
            if (tries != null) {
                tries.ringPos = pos;
                if (!tries.tried(owner[pos])) {
                    return owner[pos];
                }
            } else {
                return owner[pos];
            }
        }
        // retry: walk on from the last position to a node not tried yet (bounded by the ring size)
        for (int n = 1; n <= ring.length; n++) {
            int pos = (tries.ringPos + n) % ring.length;
            if (!tries.tried(owner[pos])) {
                tries.ringPos = pos;
                return owner[pos];
            }
        }
        return -1;
    }

    /** The hash key of this request, as APISIX's {@code fetch_chash_hash_key}. */
    String hashKey(RequestContext ctx) {
        String k = switch (hashOn) {
            case VARS -> ctx.varString(key);
            case HEADER -> header(ctx);
            case COOKIE -> {
                Cookie cookie = ctx.request().getCookie(key);
                yield cookie == null ? null : cookie.getValue();
            }
            case CONSUMER -> ctx.varString("consumer_name");
            case VARS_COMBINATIONS -> combine(ctx);
        };
        if (k == null) {
            k = ctx.varString("remote_addr");
            if (k == null && ctx.request().remoteAddress() != null) {
                k = ctx.request().remoteAddress().hostAddress();
            }
        }
        return k == null ? "" : k;
    }

    private String header(RequestContext ctx) {
        String v = ctx.request().getHeader(key);
        return v != null ? v : ctx.request().getHeader(headerAlt);
    }

    /** {@code vars_combinations}: "$a-$b" with variables resolved; null when none resolved. */
    private String combine(RequestContext ctx) {
        StringBuilder out = new StringBuilder();
        int resolved = 0;
        int i = 0;
        while (i < key.length()) {
            char ch = key.charAt(i);
            if (ch == '$' && (i == 0 || key.charAt(i - 1) != '\\') && i + 1 < key.length()) {
                int start;
                int end;
                int next;
                if (key.charAt(i + 1) == '{') {
                    start = i + 2;
                    end = key.indexOf('}', start);
                    if (end < 0) {
                        out.append(ch);
                        i++;
                        continue;
                    }
                    next = end + 1;
                } else {
                    start = i + 1;
                    end = start;
                    while (end < key.length() && (Character.isLetterOrDigit(key.charAt(end))
                            || key.charAt(end) == '_' || key.charAt(end) == '.')) {
                        end++;
                    }
                    next = end;
                }
                if (end > start) {
                    String v = ctx.varString(key.substring(start, end).trim());
                    if (v != null) {
                        resolved++;
                        out.append(v);
                    }
                    i = next;
                    continue;
                }
            }
            out.append(ch);
            i++;
        }
        return resolved == 0 ? null : out.toString();
    }
}
