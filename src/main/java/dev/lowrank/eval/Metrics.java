package dev.lowrank.eval;

import dev.lowrank.io.Ratings;
import dev.lowrank.parallel.Parallel;
import java.util.Arrays;
import java.util.Objects;

/** Accuracy and ranking metrics on held-out ratings. Sums are in double and in a fixed order. */
public final class Metrics {
    /** Users per parallel block of ranking evaluation (fixed, so results do not depend on threads). */
    private static final int USERS_PER_BLOCK = 64;

    private Metrics() {
    }

    /** Root mean squared error of {@code predictor} on {@code test}. */
    public static double rmse(RatingPredictor predictor, Ratings test) {
        return Math.sqrt(meanError(predictor, test, true));
    }

    /** Mean absolute error of {@code predictor} on {@code test}. */
    public static double mae(RatingPredictor predictor, Ratings test) {
        return meanError(predictor, test, false);
    }

    private static double meanError(RatingPredictor predictor, Ratings test, boolean squared) {
        Objects.requireNonNull(predictor, "predictor");
        if (test.size() == 0) {
            throw new IllegalArgumentException("the test set has no ratings to evaluate");
        }
        double sum = 0;
        for (int t = 0; t < test.size(); t++) {
            double e = predictor.predict(test.user(t), test.item(t)) - (double) test.value(t);
            sum += squared ? e * e : Math.abs(e);
        }
        return sum / test.size();
    }

    /**
     * Ranking metrics at {@code k}: for each user, every item is scored, the items the user rated in
     * {@code train} are excluded, and the top k are compared with the user's {@code test} items rated at
     * least {@code relevantAtLeast}. Users with no relevant test item are skipped. Train and test must
     * share id maps (as a {@link Split}'s do).
     */
    public static RankingMetrics ranking(ItemScorer scorer, Ratings train, Ratings test, int k, float relevantAtLeast,
                                         Parallel parallel) {
        Objects.requireNonNull(scorer, "scorer");
        Objects.requireNonNull(parallel, "parallel");
        if (train.users() != test.users() || train.items() != test.items()) {
            throw new IllegalArgumentException("train and test must share id maps (make them with Splits)");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k = " + k + " but it must be at least 1");
        }
        int users = train.userCount();
        int items = train.itemCount();
        int[][] seen = Splits.positionsByUser(train);
        int[][] held = Splits.positionsByUser(test);
        int blocks = (users + USERS_PER_BLOCK - 1) / USERS_PER_BLOCK;
        double[][] partial = new double[blocks][5];
        parallel.forEachBlock(blocks, b -> {
            float[] scores = new float[items];
            boolean[] relevant = new boolean[items];
            int[] top = new int[Math.min(k, items)];
            double[] sums = partial[b];
            for (int u = b * USERS_PER_BLOCK; u < Math.min(users, (b + 1) * USERS_PER_BLOCK); u++) {
                int relevantCount = 0;
                for (int p : held[u]) {
                    if (test.value(p) >= relevantAtLeast && !relevant[test.item(p)]) {
                        relevant[test.item(p)] = true;
                        relevantCount++;
                    }
                }
                if (relevantCount > 0) {
                    scorer.scoreAll(u, scores);
                    for (int p : seen[u]) {
                        scores[train.item(p)] = Float.NEGATIVE_INFINITY;
                    }
                    int found = topIndices(scores, top);
                    addUser(sums, top, found, relevant, relevantCount, k);
                }
                for (int p : held[u]) {
                    relevant[test.item(p)] = false;
                }
            }
        });
        double[] total = new double[5];
        for (double[] p : partial) {
            for (int t = 0; t < 5; t++) {
                total[t] += p[t];
            }
        }
        double n = total[0];
        return n == 0 ? new RankingMetrics(k, 0, 0, 0, 0, 0)
                : new RankingMetrics(k, (int) n, total[1] / n, total[2] / n, total[3] / n, total[4] / n);
    }

    /** Adds one user's precision, recall, NDCG and AP to {@code sums} = [users, P, R, NDCG, AP]. */
    private static void addUser(double[] sums, int[] top, int found, boolean[] relevant, int relevantCount, int k) {
        int hits = 0;
        double dcg = 0;
        double precisionSum = 0;
        for (int r = 0; r < found; r++) {
            if (relevant[top[r]]) {
                hits++;
                dcg += 1 / log2(r + 2);
                precisionSum += hits / (double) (r + 1);
            }
        }
        double idcg = 0;
        for (int r = 0; r < Math.min(k, relevantCount); r++) {
            idcg += 1 / log2(r + 2);
        }
        sums[0] += 1;
        sums[1] += hits / (double) k;
        sums[2] += hits / (double) relevantCount;
        sums[3] += dcg / idcg;
        sums[4] += precisionSum / Math.min(k, relevantCount);
    }

    /**
     * The indices of the highest finite scores, best first (ties to the lower index), into {@code top};
     * returns how many were found (fewer than top.length when fewer items are candidates).
     */
    static int topIndices(float[] scores, int[] top) {
        if (top.length == 0) {
            return 0;
        }
        int size = 0;
        for (int j = 0; j < scores.length; j++) {
            float s = scores[j];
            if (s == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (size == top.length && !(s > scores[top[size - 1]])) {
                continue;
            }
            // Insertion into the sorted prefix: k is small (10-100) next to the item count.
            int pos = size == top.length ? size - 1 : size++;
            while (pos > 0 && s > scores[top[pos - 1]]) {
                top[pos] = top[pos - 1];
                pos--;
            }
            top[pos] = j;
        }
        Arrays.fill(top, size, top.length, -1);
        return size;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
