package dev.lowrank.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.io.Ratings;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SplitsTest {

    static Stream<Case> cases() {
        return Cases.of("splits", 60);
    }

    /** Random ratings: users × items with random density, each with a random timestamp. */
    static Ratings randomRatings(Gen g) {
        int users = g.dim(1, 40);
        int items = g.dim(1, 40);
        Ratings.Builder b = Ratings.builder();
        for (int u = 0; u < users; u++) {
            for (int i = 0; i < items; i++) {
                if (g.nextInt(3) == 0) {
                    b.add("u" + u, "i" + i, 1 + g.nextInt(5), g.nextInt(1000));
                }
            }
        }
        g.note("users=" + users + " items=" + items + " ratings=" + b.size());
        return b.build(DuplicatePolicy.ERROR);
    }

    private static Set<Long> pairs(Ratings r) {
        Set<Long> s = new HashSet<>();
        for (int t = 0; t < r.size(); t++) {
            s.add(((long) r.user(t) << 32) | r.item(t));
        }
        return s;
    }

    private static void assertPartition(Ratings all, Split split, String context) {
        assertSame(all.users(), split.train().users(), context);
        assertSame(all.items(), split.test().items(), context);
        Set<Long> train = pairs(split.train());
        Set<Long> test = pairs(split.test());
        assertEquals(all.size(), train.size() + test.size(), context);
        train.retainAll(test);
        assertTrue(train.isEmpty(), context + ": train and test overlap");
        Set<Long> union = pairs(split.train());
        union.addAll(test);
        assertEquals(pairs(all), union, context);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everySplitPartitionsTheRatings(Case c) {
        try (Gen g = c.gen()) {
            Ratings all = randomRatings(g);
            String context = g.describe();
            if (all.size() < 2) {
                return;
            }
            Split random = Splits.randomHoldout(all, 0.25, c.seed());
            assertPartition(all, random, context);
            assertEquals(Math.round(all.size() * 0.25), random.test().size(), context);
            assertEquals(pairs(random.test()), pairs(Splits.randomHoldout(all, 0.25, c.seed()).test()), "same seed, same split");

            Split perUser = Splits.perUser(all, 2, c.seed());
            assertPartition(all, perUser, context);
            Map<Integer, Integer> total = new HashMap<>();
            Map<Integer, Integer> held = new HashMap<>();
            for (int t = 0; t < all.size(); t++) {
                total.merge(all.user(t), 1, Integer::sum);
            }
            for (int t = 0; t < perUser.test().size(); t++) {
                held.merge(perUser.test().user(t), 1, Integer::sum);
            }
            total.forEach((u, n) -> assertEquals(n > 2 ? 2 : 0, held.getOrDefault(u, 0), context + " user " + u));

            Split temporal = Splits.byTimestamp(all, 0.3);
            assertPartition(all, temporal, context);
            long latestTrain = Long.MIN_VALUE;
            for (int t = 0; t < temporal.train().size(); t++) {
                latestTrain = Math.max(latestTrain, temporal.train().timestamp(t));
            }
            for (int t = 0; t < temporal.test().size(); t++) {
                assertTrue(temporal.test().timestamp(t) >= latestTrain, context);
            }

            int folds = Math.min(5, all.size());
            List<Split> k = Splits.kFold(all, folds, c.seed());
            Set<Long> seen = new HashSet<>();
            for (Split s : k) {
                assertPartition(all, s, context);
                for (Long p : pairs(s.test())) {
                    assertTrue(seen.add(p), context + ": a rating is in two folds");
                }
            }
            assertEquals(pairs(all), seen, context);
        }
    }

    @org.junit.jupiter.api.Test
    void rejectsBadArguments() {
        Ratings r = Ratings.builder().add("a", "x", 1).add("b", "y", 2).build(DuplicatePolicy.ERROR);
        assertThrows(IllegalArgumentException.class, () -> Splits.randomHoldout(r, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.randomHoldout(r, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.randomHoldout(r, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.perUser(r, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.kFold(r, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Splits.kFold(r, 3, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Splits.byTimestamp(r, 0.5));
        assertTrue(e.getMessage().contains("timestamps"));
        assertArrayEquals(new float[] {1, 2}, new float[] {r.value(0), r.value(1)});
    }
}
