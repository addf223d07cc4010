package dev.aigw.plugins.aiproxymulti;

/**
 * nginx's smooth weighted round robin: each pick adds every eligible member's weight to its
 * current weight, chooses the largest and subtracts the eligible total from it. Over any run of
 * {@code Σweights} picks with the same eligible set each member is chosen exactly {@code weight}
 * times, interleaved (8:2 gives A A A A B A A A A B …), so a split holds even over few requests.
 */
final class SmoothWeightedRoundRobin implements GroupBalancer {

    private final int[] weights;
    private final long[] current;

    SmoothWeightedRoundRobin(int[] weights) {
        this.weights = weights.clone();
        this.current = new long[weights.length];
    }

    @Override
    public synchronized int pick(boolean[] eligible, String hashKey) {
        int best = -1;
        long total = 0;
        for (int i = 0; i < weights.length; i++) {
            if (!eligible[i] || weights[i] <= 0) {
                continue;
            }
            current[i] += weights[i];
            total += weights[i];
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best >= 0) {
            current[best] -= total;
        }
        return best;
    }
}
