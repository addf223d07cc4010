package dev.aigw.plugins.aiproxymulti;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Consistent hashing over a group's members: each member owns {@code POINTS_PER_WEIGHT × weight}
 * points on a 32-bit ring (capped), a key goes to the owner of the first point at or after its
 * hash, walking on past members that are not eligible. A key therefore sticks to one instance, and
 * when that instance is out only its keys move. Immutable once built.
 */
final class ConsistentHashRing implements GroupBalancer {

    private static final int POINTS_PER_WEIGHT = 40;
    private static final int MAX_POINTS_PER_MEMBER = 4000;

    private final long[] points;
    private final int[] owners;

    ConsistentHashRing(String[] names, int[] weights) {
        int n = 0;
        for (int w : weights) {
            n += pointsFor(w);
        }
        long[] packed = new long[n];
        int k = 0;
        for (int m = 0; m < names.length; m++) {
            for (int p = 0; p < pointsFor(weights[m]); p++) {
                // hash in the high 32 bits, owner in the low ones: sorting sorts by hash
                packed[k++] = (hash(names[m] + "#" + p) << 32) | m;
            }
        }
        Arrays.sort(packed);
        points = new long[n];
        owners = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = packed[i] >>> 32;
            owners[i] = (int) (packed[i] & 0xffffffffL);
        }
    }

    private static int pointsFor(int weight) {
        return weight <= 0 ? 0 : Math.min(MAX_POINTS_PER_MEMBER, weight * POINTS_PER_WEIGHT);
    }

    static long hash(String s) {
        CRC32 crc = new CRC32();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    @Override
    public int pick(boolean[] eligible, String hashKey) {
        if (points.length == 0) {
            return -1;
        }
        long h = hash(hashKey == null ? "" : hashKey);
        int start = Arrays.binarySearch(points, h);
        if (start < 0) {
            start = -start - 1;
        }
        for (int i = 0; i < points.length; i++) {
            int owner = owners[(start + i) % points.length];
            if (eligible[owner]) {
                return owner;
            }
        }
        return -1;
    }
}
