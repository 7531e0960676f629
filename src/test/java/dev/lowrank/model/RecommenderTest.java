package dev.lowrank.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.TopK;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Expect;
import dev.lowrank.testkit.Gen;
import dev.lowrank.train.Als;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RecommenderTest {

    static Stream<Case> cases() {
        return Cases.of("recommender", 40);
    }

    /** All candidates sorted by score (descending), then index, cut to n: TopK's rule, by brute force. */
    static TopK bruteForce(int items, int n, java.util.function.IntPredicate excluded,
                           java.util.function.IntToDoubleFunction score) {
        List<Integer> candidates = new ArrayList<>();
        for (int j = 0; j < items; j++) {
            if (!excluded.test(j)) {
                candidates.add(j);
            }
        }
        candidates.sort(Comparator.<Integer>comparingDouble(j -> -score.applyAsDouble(j)).thenComparingInt(j -> j));
        int size = Math.min(n, candidates.size());
        int[] idx = new int[size];
        float[] sc = new float[size];
        for (int t = 0; t < size; t++) {
            idx[t] = candidates.get(t);
            sc[t] = (float) score.applyAsDouble(idx[t]);
        }
        return new TopK(idx, sc);
    }

    static boolean isSeen(CsrMatrix seen, int i, int j) {
        for (long p = seen.rowStart(i); p < seen.rowEnd(i); p++) {
            if (seen.columnIndex(p) == j) {
                return true;
            }
        }
        return false;
    }

    /** Scores with integer-valued factors sometimes, so that equal scores (ties) really occur. */
    static FactorModel model(Gen g, int users, int items, int rank, boolean biases, Kernels kernels) {
        FactorModel model = ModelFileTest.randomModel(g, users, items, rank, biases, kernels);
        if (g.nextBoolean()) {
            g.note("integer factors");
            for (DenseMatrix p : model.parameters()) {
                for (int i = 0; i < p.rows(); i++) {
                    for (int j = 0; j < p.cols(); j++) {
                        p.set(i, j, g.nextInt(3) - 1);
                    }
                }
            }
        }
        return model;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recommendEqualsBruteForceOverPredict(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                int users = g.dim(1, 30);
                int items = g.dim(1, 70);
                int rank = g.dim(1, 20);
                boolean biases = g.nextBoolean();
                Kernels kernels = Kernels.of(backend, Parallel.sequential());
                FactorModel model = model(g, users, items, rank, biases, kernels);
                CsrMatrix seen = g.csr("seen", users, items);
                Recommender rec = Recommender.of(model, seen);
                int n = 1 + g.nextInt(items + 3);
                g.note("n=" + n + " biases=" + biases + " " + backend);
                for (int i = 0; i < users; i++) {
                    for (boolean exclude : new boolean[] {false, true}) {
                        int user = i;
                        TopK expected = bruteForce(items, n, j -> exclude && isSeen(seen, user, j), j -> model.predict(user, j));
                        assertEquals(expected, rec.recommend(i, n, exclude), g.describe() + " user " + i + " exclude=" + exclude);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recommendAllIsTheSameOnOneAndTwoThreadsAndEqualsRecommend(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2)) {
            int users = g.dim(0, 300);
            int items = g.dim(1, 40);
            int rank = g.dim(1, 17);
            Backend backend = g.nextBoolean() ? Backend.SCALAR : Backend.PANAMA;
            boolean exclude = g.nextBoolean();
            Kernels one = Kernels.of(backend, Parallel.sequential());
            FactorModel model = model(g, users, items, rank, g.nextBoolean(), one);
            CsrMatrix seen = exclude ? g.csr("seen", users, items) : null;
            int n = 1 + g.nextInt(items + 2);
            g.note("n=" + n + " exclude=" + exclude + " " + backend);
            TopK[] sequential = Recommender.of(model, seen).recommendAll(n, exclude);
            try (FactorModel onTwo = FactorModel.of(model.userFactors(), model.itemFactors(), model.hasBiases(),
                    Kernels.of(backend, two))) {
                if (model.hasBiases()) {
                    onTwo.globalBiasMatrix().copyFrom(model.globalBiasMatrix());
                    onTwo.userBiases().copyFrom(model.userBiases());
                    onTwo.itemBiases().copyFrom(model.itemBiases());
                }
                TopK[] parallel = Recommender.of(onTwo, seen).recommendAll(n, exclude);
                assertArrayEquals(sequential, parallel, g.describe());
            }
            Recommender rec = Recommender.of(model, seen);
            for (int i = 0; i < users; i++) {
                assertEquals(rec.recommend(i, n, exclude), sequential[i], g.describe() + " user " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void similarItemsAreTheTopCosinesByBruteForce(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                int items = g.dim(1, 80);
                int rank = g.dim(1, 33);
                FactorModel model = model(g, 2, items, rank, false, Kernels.of(backend, Parallel.sequential()));
                DenseMatrix v = model.itemFactors();
                if (g.nextBoolean()) {
                    int zero = g.nextInt(items);
                    g.note("zero row " + zero);
                    for (int t = 0; t < rank; t++) {
                        v.set(zero, t, 0f);
                    }
                }
                float[][] vs = v.toArray();
                double[] norms = new double[items];
                for (int j = 0; j < items; j++) {
                    for (int t = 0; t < rank; t++) {
                        norms[j] += (double) vs[j][t] * vs[j][t];
                    }
                    norms[j] = Math.sqrt(norms[j]);
                }
                Recommender rec = Recommender.of(model, null);
                int n = 1 + g.nextInt(items + 2);
                g.note("n=" + n + " " + backend);
                for (int probe = 0; probe < Math.min(items, 8); probe++) {
                    int q = probe < 2 ? probe * (items - 1) : g.nextInt(items);
                    double[] cos = new double[items];
                    for (int j = 0; j < items; j++) {
                        double dot = 0;
                        for (int t = 0; t < rank; t++) {
                            dot += (double) vs[q][t] * vs[j][t];
                        }
                        cos[j] = norms[q] == 0 || norms[j] == 0 ? 0 : dot / (norms[q] * norms[j]);
                    }
                    TopK got = rec.similarItems(q, n);
                    String ctx = g.describe() + " query " + q;
                    assertEquals(Math.min(n, items - 1), got.size(), ctx);
                    boolean[] returned = new boolean[items];
                    double tol = 1e-5 * (rank + 4);
                    for (int r = 0; r < got.size(); r++) {
                        int j = got.indices()[r];
                        assertTrue(j != q && !returned[j], ctx + ": " + got);
                        returned[j] = true;
                        assertEquals(cos[j], got.scores()[r], tol, ctx + " item " + j);
                        if (r > 0) {
                            float prev = got.scores()[r - 1];
                            assertTrue(prev > got.scores()[r] || (prev == got.scores()[r] && got.indices()[r - 1] < j), ctx + ": " + got);
                        }
                    }
                    double worstReturned = got.size() == 0 ? Double.POSITIVE_INFINITY : cos[got.indices()[got.size() - 1]];
                    for (int j = 0; j < items; j++) {
                        if (j != q && !returned[j]) {
                            assertTrue(cos[j] <= worstReturned + 2 * tol, ctx + ": item " + j + " (cosine " + cos[j]
                                    + ") beats the last returned " + got);
                        }
                    }
                }
            }
        }
    }

    /**
     * Fold-in solves the row problem of ALS's user half-step: so with the item side ALS had at its last
     * user half-step (V and c after N − 1 iterations, μ as set in iteration N), folding in a training
     * user's ratings gives exactly the row ALS computed in iteration N. ALS is deterministic, so a fit of
     * N − 1 iterations from the same start reproduces that item side.
     */
    @ParameterizedTest
    @MethodSource("alsCases")
    void foldingInATrainingUserReproducesAlsOwnRow(Case c) {
        try (Gen g = c.gen()) {
            int users = 5 + g.nextInt(20);
            int items = 5 + g.nextInt(20);
            int rank = 1 + g.nextInt(6);
            boolean biases = g.nextBoolean();
            float lambda = 0.05f + g.nextInt(4);
            int iterations = 2 + g.nextInt(4);
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            g.note("rank=" + rank + " biases=" + biases + " lambda=" + lambda + " N=" + iterations + " " + backend);
            CsrMatrix a = ratings(g, users, items);
            Als.Builder als = Als.builder().kernels(kernels).regularization(Regularization.of(lambda));
            try (Observations data = Observations.of(a);
                 FactorModel before = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels);
                 FactorModel after = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels)) {
                als.maxIterations(iterations - 1).build().fit(before, data);
                als.maxIterations(iterations).build().fit(after, data);
                if (biases) {
                    before.setGlobalBias(after.globalBias());
                }
                Recommender rec = Recommender.of(before, a);
                for (int i = 0; i < users; i++) {
                    int count = (int) (a.rowEnd(i) - a.rowStart(i));
                    int[] rated = new int[count];
                    float[] r = new float[count];
                    // Reversed: fold-in sorts by item, as a CSR row is, so the input order does not matter.
                    for (int t = 0; t < count; t++) {
                        long p = a.rowEnd(i) - 1 - t;
                        rated[t] = a.columnIndex(p);
                        r[t] = a.value(p);
                    }
                    FoldedUser f = rec.foldIn(rated, r, lambda);
                    String ctx = g.describe() + " user " + i;
                    float[] row = new float[rank];
                    after.userFactors().copyRow(i, row);
                    assertArrayEquals(row, f.factors(), ctx);
                    assertEquals(after.userBias(i), f.bias(), ctx);
                    int[] sortedRated = rated.clone();
                    Arrays.sort(sortedRated);
                    assertArrayEquals(sortedRated, f.ratedItems(), ctx);
                }
            }
        }
    }

    static Stream<Case> alsCases() {
        return Cases.of("recommender-fold-in-als", 20);
    }

    static CsrMatrix ratings(Gen g, int users, int items) {
        double density = 0.2 + 0.5 * g.random().nextDouble();
        List<int[]> at = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (g.random().nextDouble() < density) {
                    at.add(new int[] {i, j});
                }
            }
        }
        int[] r = new int[at.size()];
        int[] col = new int[at.size()];
        float[] v = new float[at.size()];
        for (int t = 0; t < at.size(); t++) {
            r[t] = at.get(t)[0];
            col[t] = at.get(t)[1];
            v[t] = (1 + g.nextInt(10)) * 0.5f;
        }
        g.note("ratings=" + users + "x" + items + "/nnz" + at.size());
        return g.own(CsrMatrix.fromCoo(users, items, r, col, v, DuplicatePolicy.ERROR));
    }

    /**
     * The fold-in solution makes the gradient of its objective vanish: in double precision,
     * Σ_j (r_j − μ − c_j − b − x·v_j)·ṽ_j − diag(λ_b, λ_f…)·(b, x) ≈ 0 relative to the size of its terms.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void foldInSatisfiesItsNormalEquations(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                int items = g.dim(1, 60);
                int rank = g.dim(1, 12);
                boolean biases = g.nextBoolean();
                FactorModel model = ModelFileTest.randomModel(g, 1, items, rank, biases, Kernels.of(backend, Parallel.sequential()));
                int count = g.nextInt(items + 1);
                float factorLambda = count > rank + 2 && g.nextBoolean() ? 0f : 0.01f + g.nextInt(5);
                float biasLambda = g.nextBoolean() ? factorLambda : 0.5f * g.nextInt(3) + (count == 0 ? 0.1f : 0f);
                g.note("count=" + count + " biases=" + biases + " lf=" + factorLambda + " lb=" + biasLambda + " " + backend);
                int[] all = new int[items];
                Arrays.setAll(all, j -> j);
                for (int t = items - 1; t > 0; t--) {
                    int u = g.nextInt(t + 1);
                    int tmp = all[t];
                    all[t] = all[u];
                    all[u] = tmp;
                }
                int[] rated = Arrays.copyOf(all, count);
                float[] r = new float[count];
                for (int t = 0; t < count; t++) {
                    r[t] = 1 + 4 * (float) g.random().nextDouble();
                }
                FoldedUser f = Recommender.of(model, null).foldIn(rated, r, factorLambda, biasLambda);
                int off = biases ? 1 : 0;
                int dim = rank + off;
                double[] z = new double[dim];
                if (biases) {
                    z[0] = f.bias();
                } else {
                    assertEquals(0f, f.bias(), g.describe());
                }
                for (int t = 0; t < rank; t++) {
                    z[off + t] = f.factors()[t];
                }
                double[] grad = new double[dim];
                double[] size = new double[dim];
                for (int t = 0; t < count; t++) {
                    int j = rated[t];
                    double[] vt = new double[dim];
                    if (biases) {
                        vt[0] = 1;
                    }
                    for (int k = 0; k < rank; k++) {
                        vt[off + k] = model.itemFactors().get(j, k);
                    }
                    double pred = 0;
                    double predAbs = 0;
                    for (int k = 0; k < dim; k++) {
                        pred += vt[k] * z[k];
                        predAbs += Math.abs(vt[k] * z[k]);
                    }
                    double target = r[t] - model.globalBias() - model.itemBias(j);
                    double err = target - pred;
                    for (int k = 0; k < dim; k++) {
                        grad[k] += err * vt[k];
                        size[k] += (Math.abs(target) + predAbs) * Math.abs(vt[k]);
                    }
                }
                for (int k = 0; k < dim; k++) {
                    double lambda = k < off ? biasLambda : factorLambda;
                    grad[k] -= lambda * z[k];
                    size[k] += lambda * Math.abs(z[k]);
                    // Cholesky in float: the residual is a few ulps of the terms times the condition
                    // of the small system; 1e-3 of the terms' magnitude leaves room for that at these sizes.
                    assertEquals(0, grad[k], 1e-3 * (size[k] + 1e-3), g.describe() + " component " + k + " " + Arrays.toString(grad));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recommendingForAFoldedUserEqualsBruteForce(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                int items = g.dim(1, 60);
                int rank = g.dim(1, 20);
                boolean biases = g.nextBoolean();
                FactorModel model = ModelFileTest.randomModel(g, 1, items, rank, biases, Kernels.of(backend, Parallel.sequential()));
                float[] x = new float[rank];
                for (int t = 0; t < rank; t++) {
                    x[t] = g.value();
                }
                int[] rated = new int[g.nextInt(items + 1)];
                for (int t = 0; t < rated.length; t++) {
                    rated[t] = g.nextInt(items);
                }
                float bias = biases ? g.value() : 0f;
                FoldedUser user = new FoldedUser(x, bias, rated);
                int n = 1 + g.nextInt(items + 2);
                g.note("n=" + n + " biases=" + biases + " " + backend);
                // The model's own user 0 set to (x, bias) scores the same way through predict.
                for (int t = 0; t < rank; t++) {
                    model.userFactors().set(0, t, x[t]);
                }
                if (biases) {
                    model.userBiases().set(0, 0, bias);
                }
                Recommender rec = Recommender.of(model, null);
                for (boolean exclude : new boolean[] {false, true}) {
                    TopK expected = bruteForce(items, n, j -> exclude && Arrays.stream(rated).anyMatch(r -> r == j),
                            j -> model.predict(0, j));
                    assertEquals(expected, rec.recommend(user, n, exclude), g.describe() + " exclude=" + exclude);
                }
            }
        }
    }

    @Test
    void aLoadedModelRecommendsLikeTheOriginal(@TempDir Path dir) throws IOException {
        try (Gen g = new Gen(21)) {
            FactorModel model = model(g, 20, 30, 5, true, Kernels.defaults());
            CsrMatrix seen = g.csr("seen", 20, 30);
            Path file = dir.resolve("m.lrm");
            ModelFile.save(file, model, null, null, seen);
            try (SavedModel loaded = ModelFile.load(file)) {
                TopK[] before = Recommender.of(model, seen).recommendAll(7, true);
                TopK[] after = Recommender.of(loaded.model(), loaded.seen()).recommendAll(7, true);
                assertArrayEquals(before, after);
                assertEquals(Recommender.of(model, null).similarItems(3, 5), Recommender.of(loaded.model(), null).similarItems(3, 5));
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithClearMessages() {
        try (Gen g = new Gen(22)) {
            FactorModel model = ModelFileTest.randomModel(g, 4, 6, 3, true, Kernels.defaults());
            Recommender rec = Recommender.of(model, null);
            Expect.fails(IllegalArgumentException.class, () -> rec.recommend(0, 3, true), "excludeSeen needs the seen matrix");
            Expect.fails(IllegalArgumentException.class, () -> rec.recommendAll(3, true), "excludeSeen needs the seen matrix");
            Expect.fails(IllegalArgumentException.class, () -> rec.recommend(0, 0, false), "n = 0");
            Expect.fails(IndexOutOfBoundsException.class, () -> rec.recommend(4, 1, false));
            Expect.fails(IllegalArgumentException.class, () -> rec.similarItems(0, -1), "n = -1");
            Expect.fails(IllegalArgumentException.class, () -> Recommender.of(model, g.csr("wrong", 4, 5)),
                    "seen is 4x5 but the model is 4x6");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1, 2}, new float[] {1}, 1f),
                    "items has 2 entries but ratings has 1");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1, 6}, new float[] {1, 2}, 1f),
                    "items[1] = 6 is out of range [0, 6)");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {3, 1, 3}, new float[] {1, 2, 3}, 1f),
                    "item 3 is rated twice (items[0] and items[2])");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1}, new float[] {Float.NaN}, 1f),
                    "ratings[0] = NaN is not finite");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1}, new float[] {1}, -1f),
                    "factorLambda = -1.0");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1}, new float[] {1}, Float.NaN),
                    "factorLambda = NaN");
            // Rank 3 plus a bias from two ratings cannot be determined without a penalty.
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[] {1, 2}, new float[] {1, 2}, 0f),
                    "singular", "use a positive lambda");
            Expect.fails(IllegalArgumentException.class, () -> rec.foldIn(new int[0], new float[0], 0f), "singular");
            FoldedUser none = rec.foldIn(new int[0], new float[0], 0.1f);
            assertArrayEquals(new float[3], none.factors());
            assertEquals(0f, none.bias());
            Expect.fails(IllegalArgumentException.class, () -> rec.recommend(new FoldedUser(new float[2], 0f, new int[0]), 1, false),
                    "2 factors but the model has rank 3");
            Expect.fails(IllegalArgumentException.class, () -> rec.recommend(new FoldedUser(new float[3], 0f, new int[] {9}), 1, true),
                    "rated item 9 is out of range");
            TopK all = rec.recommend(new FoldedUser(new float[3], 0f, new int[] {0, 1, 2, 3, 4, 5}), 10, true);
            assertEquals(0, all.size());
        }
    }
}
