package dev.lowrank.train;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ALS that overflows float stops with {@link TrainingDivergedException} at the first non-finite
 * iteration, whether or not the objective is reported, and leaves the model bit for bit where a fit
 * stopped one iteration earlier leaves it (the starting parameters, μ included, if it was the first);
 * a singular row system restores the model the same way and keeps its own message.
 *
 * <p>ALS never makes its factors grow by itself (each step is an exact minimisation), so overflow comes
 * from the data: ratings near 1e37 overflow in the first iteration; for a later iteration the test scales
 * the observations up between iterations, from the listener (which runs after an iteration is recorded).
 */
class AlsDivergenceTest {

    private static final int USERS = 30;
    private static final int ITEMS = 20;
    private static final int RANK = 3;

    enum Flavour { PLAIN, BIASES, IMPLICIT }

    record Setup(Backend backend, RowSolver solver, Flavour flavour, boolean report) {
        @Override
        public String toString() {
            return backend + " " + solver + " " + flavour + (report ? " reported" : " not reported");
        }
    }

    static Stream<Setup> setups() {
        List<Setup> all = new ArrayList<>();
        for (Backend backend : Backend.values()) {
            for (RowSolver solver : List.of(RowSolver.cholesky(), RowSolver.conjugateGradient(3))) {
                for (Flavour flavour : Flavour.values()) {
                    for (boolean report : new boolean[] {true, false}) {
                        all.add(new Setup(backend, solver, flavour, report));
                    }
                }
            }
        }
        return all.stream();
    }

    /** Ratings 1 to 5 times {@code scale} at seeded random positions; some users and items have none. */
    private static CsrMatrix ratings(int users, int items, int count, float scale) {
        SplittableRandom random = new SplittableRandom(3);
        int[] r = new int[count];
        int[] c = new int[count];
        float[] v = new float[count];
        for (int t = 0; t < count; t++) {
            r[t] = random.nextInt(users);
            c[t] = random.nextInt(items);
            v[t] = (1 + random.nextInt(5)) * scale;
        }
        return CsrMatrix.fromCoo(users, items, r, c, v, DuplicatePolicy.LAST);
    }

    private static CsrMatrix ratings(float scale) {
        return ratings(USERS, ITEMS, 200, scale);
    }

    /** Multiplies every observed value (both orientations) by {@code factor}: the data "grow" mid-fit. */
    private static void scale(Observations data, float factor) {
        for (CsrMatrix a : List.of(data.byUser(), data.byItem())) {
            MemorySegment values = a.values();
            for (long p = 0; p < a.nnz(); p++) {
                values.setAtIndex(ValueLayout.JAVA_FLOAT, p, values.getAtIndex(ValueLayout.JAVA_FLOAT, p) * factor);
            }
        }
    }

    private static Als.Builder builder(Setup s, Kernels kernels) {
        Als.Builder b = Als.builder().kernels(kernels).solver(s.solver()).reportObjective(s.report())
                .regularization(Regularization.of(1e-6f));
        if (s.flavour() == Flavour.IMPLICIT) {
            b.implicit(40f);
        }
        return b;
    }

    private static FactorModel model(Setup s, Kernels kernels) {
        FactorModel model = FactorModel.create(USERS, ITEMS, RANK, s.flavour() == Flavour.BIASES,
                Initializer.scaledNormal(1), kernels);
        if (model.hasBiases()) {
            // Not what the first iteration sets, so that restoring μ is seen.
            model.setGlobalBias(0.25f);
        }
        return model;
    }

    /** U, V, then with biases μ, b, c (FactorModel.parameters' order). */
    static float[][] parameters(FactorModel model) {
        return model.parameters().stream().map(DenseMatrix::toFlatArray).toArray(float[][]::new);
    }

    static void assertSameParameters(float[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int t = 0; t < expected.length; t++) {
            assertArrayEquals(expected[t], actual[t], what + ", parameter " + t + " (U, V, μ, b, c)");
        }
    }

    @ParameterizedTest
    @MethodSource("setups")
    void ratingsNear1e37DivergeAtTheFirstIterationAndTheModelKeepsItsStartingParameters(Setup s) {
        Kernels kernels = Kernels.of(s.backend(), Parallel.sequential());
        try (CsrMatrix a = ratings(1e37f); Observations data = Observations.of(a); FactorModel model = model(s, kernels)) {
            float[][] start = parameters(model);
            List<Integer> recorded = new ArrayList<>();
            TrainingDivergedException e = fails(TrainingDivergedException.class,
                    () -> builder(s, kernels).maxIterations(10).listener(r -> recorded.add(r.epoch())).build()
                            .fit(model, data),
                    "training diverged at ALS iteration 1: ", "overflow", "the model keeps its starting parameters",
                    "raise the regularization or scale the data down");
            assertEquals(1, e.epoch(), e.getMessage());
            assertTrue(Double.isNaN(e.loss()), s + ": found by a row solve, before any objective: " + e.loss());
            assertEquals(List.of(), recorded, "no iteration is recorded");
            assertSameParameters(start, parameters(model), s + ": " + e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("setups")
    void dataThatGrowOverflowAtTheThirdIterationAndTheModelKeepsTheSecond(Setup s) {
        Kernels kernels = Kernels.of(s.backend(), Parallel.sequential());
        float[][] twoIterations;
        try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel clean = model(s, kernels)) {
            builder(s, kernels).maxIterations(2).build().fit(clean, data);
            twoIterations = parameters(clean);
        }
        try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel model = model(s, kernels)) {
            List<Integer> recorded = new ArrayList<>();
            TrainingDivergedException e = fails(TrainingDivergedException.class,
                    () -> builder(s, kernels).maxIterations(10).listener(r -> {
                        recorded.add(r.epoch());
                        if (r.epoch() == 2) {
                            scale(data, 1e37f);
                        }
                    }).build().fit(model, data),
                    "training diverged at ALS iteration 3: ", "the model keeps the parameters after iteration 2",
                    "raise the regularization");
            assertEquals(3, e.epoch());
            assertEquals(List.of(1, 2), recorded);
            for (float[] p : twoIterations) {
                for (float x : p) {
                    assertTrue(Float.isFinite(x), s + ": the reference fit is finite");
                }
            }
            assertSameParameters(twoIterations, parameters(model), s + ": " + e.getMessage());
        }
    }

    /** The snapshot in chunks of 3 rows of U and V (the last one partial) and of one bias row each. */
    @Test
    void aSnapshotInSeveralChunksRestoresTheSameBits() {
        for (Backend backend : Backend.values()) {
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            Setup s = new Setup(backend, RowSolver.cholesky(), Flavour.BIASES, false);
            float[][] twoIterations;
            try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel clean = model(s, kernels)) {
                builder(s, kernels).maxIterations(2).build().fit(clean, data);
                twoIterations = parameters(clean);
            }
            try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel model = model(s, kernels)) {
                TrainingDivergedException e = fails(TrainingDivergedException.class,
                        () -> builder(s, kernels).snapshotChunkFloats(3 * RANK + 1).maxIterations(10).listener(r -> {
                            if (r.epoch() == 2) {
                                scale(data, 1e37f);
                            }
                        }).build().fit(model, data), "training diverged at ALS iteration 3: ");
                assertSameParameters(twoIterations, parameters(model), backend + ": " + e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Als.builder().snapshotChunkFloats(0));
    }

    /** Several row blocks on two threads: the row that overflows stops its worker, the others finish first. */
    @Test
    void divergenceOnTwoThreadsRestoresTheSameBitsAsAOneIterationFitOnOneThread() {
        // Rank 16: about 6,500 ratings per row block (Als.rowBlocks), so each half-step has several blocks.
        int users = 300;
        int items = 200;
        int count = 30_000;
        try (Parallel two = Parallel.threads(2)) {
            for (RowSolver solver : List.of(RowSolver.cholesky(), RowSolver.conjugateGradient(3))) {
                float[][] oneIteration;
                Kernels one = Kernels.of(Backend.PANAMA, Parallel.sequential());
                try (CsrMatrix a = ratings(users, items, count, 1f); Observations data = Observations.of(a);
                     FactorModel clean = FactorModel.create(users, items, 16, true, Initializer.scaledNormal(4), one)) {
                    Als.builder().kernels(one).solver(solver).reportObjective(false).maxIterations(1).build().fit(clean, data);
                    oneIteration = parameters(clean);
                }
                Kernels kernels = Kernels.of(Backend.PANAMA, two);
                try (CsrMatrix a = ratings(users, items, count, 1f); Observations data = Observations.of(a);
                     FactorModel model = FactorModel.create(users, items, 16, true, Initializer.scaledNormal(4), kernels)) {
                    TrainingDivergedException e = fails(TrainingDivergedException.class,
                            () -> Als.builder().kernels(kernels).solver(solver).reportObjective(false).maxIterations(4)
                                    .listener(r -> scale(data, 1e37f)).build().fit(model, data),
                            "training diverged at ALS iteration 2: ", "after iteration 1, the last finite one");
                    assertEquals(2, e.epoch());
                    assertSameParameters(oneIteration, parameters(model), solver + ": " + e.getMessage());
                }
            }
        }
    }

    /** Before this was fixed a singular row left the users solved before it in the model. */
    @Test
    void aSingularRowSystemKeepsItsMessageAndRestoresTheModel() {
        for (Backend backend : Backend.values()) {
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            // Iteration 1: rank 6 on a 3x4 matrix without regularization (every user has fewer ratings than 6).
            try (CsrMatrix a = CsrMatrix.fromCoo(3, 4, new int[] {0, 1, 2}, new int[] {0, 1, 3}, new float[] {4, 2, 5},
                         DuplicatePolicy.ERROR);
                 Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(3, 4, 6, true, Initializer.scaledNormal(3), kernels)) {
                Als.builder().kernels(kernels).maxIterations(2).build().fit(model, data);
                float[][] before = parameters(model);
                ArithmeticException e = fails(ArithmeticException.class, () -> Als.builder().kernels(kernels)
                                .solver(RowSolver.cholesky()).regularization(Regularization.none()).build().fit(model, data),
                        "(1 observations, rank 6) are singular", "use a positive factor regularization");
                assertEquals(ArithmeticException.class, e.getClass(), "not a divergence: " + e.getMessage());
                assertSameParameters(before, parameters(model), backend + ": " + e.getMessage());
            }
            // A later iteration: once the data are scaled up by 1e25, implicit confidences near 1e27 drown a
            // two-rating user's Gramian term in rounding. The exception names no iteration: the listener tells.
            Setup s = new Setup(backend, RowSolver.cholesky(), Flavour.IMPLICIT, false);
            List<Integer> recorded = new ArrayList<>();
            float[][] after;
            try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel model = model(s, kernels)) {
                ArithmeticException e = fails(ArithmeticException.class, () -> builder(s, kernels).maxIterations(10)
                        .listener(r -> {
                            recorded.add(r.epoch());
                            if (r.epoch() == 2) {
                                scale(data, 1e25f);
                            }
                        }).build().fit(model, data), "are singular");
                assertEquals(ArithmeticException.class, e.getClass(), "not a divergence: " + e.getMessage());
                assertTrue(recorded.size() >= 2, "singular only once the data are scaled: " + recorded);
                after = parameters(model);
            }
            try (CsrMatrix a = ratings(1f); Observations data = Observations.of(a); FactorModel clean = model(s, kernels)) {
                builder(s, kernels).maxIterations(recorded.size()).listener(r -> {
                    if (r.epoch() == 2) {
                        scale(data, 1e25f);
                    }
                }).build().fit(clean, data);
                assertSameParameters(parameters(clean), after, backend + ": singular at iteration " + (recorded.size() + 1));
            }
        }
    }
}
