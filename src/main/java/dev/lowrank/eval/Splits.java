package dev.lowrank.eval;

import dev.lowrank.io.Ratings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Ways to hold ratings out for evaluation. All are seeded (same seed, same split) and keep each part's
 * ratings in their original order.
 */
public final class Splits {
    private Splits() {
    }

    /** A uniformly random {@code testFraction} of the ratings (rounded) goes to the test set. */
    public static Split randomHoldout(Ratings ratings, double testFraction, long seed) {
        Objects.requireNonNull(ratings, "ratings");
        requireFraction(testFraction);
        int[] order = shuffled(ratings.size(), seed);
        int testSize = (int) Math.round(ratings.size() * testFraction);
        return split(ratings, Arrays.copyOfRange(order, testSize, order.length), Arrays.copyOf(order, testSize));
    }

    /**
     * Leave-k-out: for every user with more than {@code perUser} ratings, {@code perUser} random ones go
     * to the test set; users with fewer keep all their ratings for training.
     */
    public static Split perUser(Ratings ratings, int perUser, long seed) {
        Objects.requireNonNull(ratings, "ratings");
        if (perUser < 1) {
            throw new IllegalArgumentException("perUser = " + perUser + " but at least 1 rating per user must be held out");
        }
        int[][] byUser = positionsByUser(ratings);
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] test = new boolean[ratings.size()];
        for (int[] positions : byUser) {
            if (positions.length <= perUser) {
                continue;
            }
            // A partial Fisher-Yates shuffle picks perUser distinct positions.
            for (int t = 0; t < perUser; t++) {
                int pick = t + random.nextInt(positions.length - t);
                int tmp = positions[t];
                positions[t] = positions[pick];
                positions[pick] = tmp;
                test[positions[t]] = true;
            }
        }
        return split(ratings, test);
    }

    /**
     * A temporal split: the latest {@code testFraction} of the ratings (by timestamp, ties by position)
     * form the test set. Needs timestamps.
     */
    public static Split byTimestamp(Ratings ratings, double testFraction) {
        Objects.requireNonNull(ratings, "ratings");
        requireFraction(testFraction);
        if (!ratings.hasTimestamps()) {
            throw new IllegalArgumentException("a split by timestamp needs ratings with timestamps");
        }
        int n = ratings.size();
        Integer[] order = new Integer[n];
        for (int t = 0; t < n; t++) {
            order[t] = t;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(ratings.timestamp(a), ratings.timestamp(b));
            return c != 0 ? c : Integer.compare(a, b);
        });
        int testSize = (int) Math.round(n * testFraction);
        boolean[] test = new boolean[n];
        for (int t = n - testSize; t < n; t++) {
            test[order[t]] = true;
        }
        return split(ratings, test);
    }

    /** {@code folds} splits whose test sets partition the ratings (fold f holds every folds-th shuffled rating). */
    public static List<Split> kFold(Ratings ratings, int folds, long seed) {
        Objects.requireNonNull(ratings, "ratings");
        if (folds < 2 || folds > ratings.size()) {
            throw new IllegalArgumentException("folds = " + folds + " but it must be in [2, " + ratings.size()
                    + "] (the number of ratings)");
        }
        int[] order = shuffled(ratings.size(), seed);
        List<Split> splits = new ArrayList<>(folds);
        for (int f = 0; f < folds; f++) {
            boolean[] test = new boolean[ratings.size()];
            for (int t = f; t < order.length; t += folds) {
                test[order[t]] = true;
            }
            splits.add(split(ratings, test));
        }
        return splits;
    }

    /** Each user's rating positions, in order. */
    static int[][] positionsByUser(Ratings ratings) {
        int[] counts = new int[ratings.userCount()];
        for (int t = 0; t < ratings.size(); t++) {
            counts[ratings.user(t)]++;
        }
        int[][] byUser = new int[counts.length][];
        for (int u = 0; u < counts.length; u++) {
            byUser[u] = new int[counts[u]];
        }
        int[] filled = new int[counts.length];
        for (int t = 0; t < ratings.size(); t++) {
            int u = ratings.user(t);
            byUser[u][filled[u]++] = t;
        }
        return byUser;
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int t = 0; t < n; t++) {
            order[t] = t;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int t = n - 1; t > 0; t--) {
            int u = random.nextInt(t + 1);
            int tmp = order[t];
            order[t] = order[u];
            order[u] = tmp;
        }
        return order;
    }

    private static Split split(Ratings ratings, boolean[] test) {
        int testSize = 0;
        for (boolean b : test) {
            testSize += b ? 1 : 0;
        }
        int[] trainPos = new int[test.length - testSize];
        int[] testPos = new int[testSize];
        int a = 0;
        int b = 0;
        for (int t = 0; t < test.length; t++) {
            if (test[t]) {
                testPos[b++] = t;
            } else {
                trainPos[a++] = t;
            }
        }
        return new Split(ratings.select(trainPos), ratings.select(testPos));
    }

    private static Split split(Ratings ratings, int[] trainPos, int[] testPos) {
        Arrays.sort(trainPos);
        Arrays.sort(testPos);
        return new Split(ratings.select(trainPos), ratings.select(testPos));
    }

    private static void requireFraction(double testFraction) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction = " + testFraction + " but it must be in (0, 1)");
        }
    }
}
