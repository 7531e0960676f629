package dev.lowrank.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.io.Ratings;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MetricsTest {

    @Test
    void rmseAndMaeByHand() {
        Ratings test = Ratings.builder().add("a", "x", 4).add("a", "y", 2).add("b", "x", 3).build(DuplicatePolicy.ERROR);
        RatingPredictor three = (u, i) -> 3f;
        assertEquals(Math.sqrt((1 + 1 + 0) / 3.0), Metrics.rmse(three, test), 1e-12);
        assertEquals(2 / 3.0, Metrics.mae(three, test), 1e-12);
        Ratings empty = test.select(new int[0]);
        assertThrows(IllegalArgumentException.class, () -> Metrics.rmse(three, empty));
    }

    @Test
    void rankingMetricsByHand() {
        // Items 0..5. User u0 trained on item 0, holds out items 1 (5 stars), 3 (4 stars), 5 (1 star).
        Ratings.Builder b = Ratings.builder();
        for (int j = 0; j < 6; j++) {
            b.addItem("i" + j);
        }
        Ratings all = b.add("u0", "i0", 3).add("u0", "i1", 5).add("u0", "i3", 4).add("u0", "i5", 1)
                .add("u1", "i2", 2).build(DuplicatePolicy.ERROR);
        Split split = new Split(all.select(new int[] {0, 4}), all.select(new int[] {1, 2, 3}));
        float[] scores = {9, 8, 1, 5, 6, 7};
        ItemScorer scorer = (u, out) -> System.arraycopy(scores, 0, out, 0, out.length);
        // Ranking without item 0: 1, 5, 4, 3, 2. Relevant (>= 3.5): {1, 3}; hits at ranks 1 and 4.
        RankingMetrics m = Metrics.ranking(scorer, split.train(), split.test(), 4, 3.5f, Parallel.sequential());
        assertEquals(1, m.usersEvaluated()); // u1 has no held-out item
        assertEquals(0.5, m.precision(), 1e-12);
        assertEquals(1.0, m.recall(), 1e-12);
        double idcg = 1 + 1 / log2(3);
        assertEquals((1 + 1 / log2(5)) / idcg, m.ndcg(), 1e-12);
        assertEquals((1 + 2 / 4.0) / 2, m.map(), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.ranking(scorer, split.train(), split.test(), 0, 3.5f, Parallel.sequential()));
    }

    static Stream<Case> cases() {
        return Cases.of("ranking-metrics", 40);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rankingMatchesBruteForceOnAnyThreadCount(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2)) {
            Ratings all = SplitsTest.randomRatings(g);
            if (all.size() < 2) {
                return;
            }
            Split split = Splits.randomHoldout(all, 0.3, c.seed());
            int k = 1 + g.nextInt(6);
            float threshold = 1 + g.nextInt(5);
            long salt = c.seed();
            // Integer-valued scores so that ties happen and the tie rule is exercised.
            ItemScorer scorer = (u, out) -> {
                for (int j = 0; j < out.length; j++) {
                    out[j] = (float) Math.floorMod((u * 31L + j * 17L) ^ salt, 7);
                }
            };
            RankingMetrics seq = Metrics.ranking(scorer, split.train(), split.test(), k, threshold, Parallel.sequential());
            RankingMetrics par = Metrics.ranking(scorer, split.train(), split.test(), k, threshold, two);
            assertEquals(seq, par, g.describe() + ": thread count changed the result");
            double[] expected = bruteForce(scorer, split, k, threshold);
            String context = g.describe() + " k=" + k + " threshold=" + threshold;
            assertEquals((int) expected[0], seq.usersEvaluated(), context);
            assertEquals(expected[1], seq.precision(), 1e-12, context);
            assertEquals(expected[2], seq.recall(), 1e-12, context);
            assertEquals(expected[3], seq.ndcg(), 1e-12, context);
            assertEquals(expected[4], seq.map(), 1e-12, context);
        }
    }

    /** Full sort of each user's candidates, textbook formulas. */
    private static double[] bruteForce(ItemScorer scorer, Split split, int k, float threshold) {
        Ratings train = split.train();
        Ratings test = split.test();
        double[] sums = new double[5];
        for (int u = 0; u < train.userCount(); u++) {
            Set<Integer> relevant = new HashSet<>();
            Set<Integer> seen = new HashSet<>();
            for (int t = 0; t < test.size(); t++) {
                if (test.user(t) == u && test.value(t) >= threshold) {
                    relevant.add(test.item(t));
                }
            }
            for (int t = 0; t < train.size(); t++) {
                if (train.user(t) == u) {
                    seen.add(train.item(t));
                }
            }
            if (relevant.isEmpty()) {
                continue;
            }
            float[] scores = new float[train.itemCount()];
            scorer.scoreAll(u, scores);
            List<Integer> candidates = new ArrayList<>();
            for (int j = 0; j < scores.length; j++) {
                if (!seen.contains(j)) {
                    candidates.add(j);
                }
            }
            candidates.sort(Comparator.<Integer>comparingDouble(j -> -scores[j]).thenComparing(j -> j));
            int hits = 0;
            double dcg = 0;
            double ap = 0;
            for (int r = 0; r < Math.min(k, candidates.size()); r++) {
                if (relevant.contains(candidates.get(r))) {
                    hits++;
                    dcg += 1 / log2(r + 2);
                    ap += hits / (double) (r + 1);
                }
            }
            double idcg = 0;
            for (int r = 0; r < Math.min(k, relevant.size()); r++) {
                idcg += 1 / log2(r + 2);
            }
            sums[0]++;
            sums[1] += hits / (double) k;
            sums[2] += hits / (double) relevant.size();
            sums[3] += dcg / idcg;
            sums[4] += ap / Math.min(k, relevant.size());
        }
        for (int t = 1; t < 5; t++) {
            sums[t] = sums[0] == 0 ? 0 : sums[t] / sums[0];
        }
        return sums;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
