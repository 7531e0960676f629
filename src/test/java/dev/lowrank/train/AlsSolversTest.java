package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Gradients;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The row solvers (CG, NNLS), ALS-WR and the objective switch of {@link Als}. */
class AlsSolversTest {

    static Stream<Case> cases() {
        return Cases.of("als-solvers", 40);
    }

    private static Als.Builder settings(Gen g, Kernels kernels, boolean implicit, boolean biases) {
        Als.Builder b = Als.builder().kernels(kernels);
        if (implicit) {
            b.implicit(0.5f + g.nextInt(10)).regularization(new Regularization(0.1f + g.nextInt(3), 0f));
        } else {
            float lambda2 = g.nextBoolean() ? 0f : 0.01f * (1 + g.nextInt(20));
            b.unobservedWeight(lambda2).observedWeight(g.nextBoolean() ? 1f : 2f)
                    .regularization(new Regularization(0.05f + g.nextInt(3) * 0.5f, 0.1f * g.nextInt(3)));
            g.note("l2=" + lambda2);
        }
        g.note("implicit=" + implicit + " biases=" + biases);
        return b;
    }

    /** With as many CG steps as unknowns (and then some, for rounding) CG reaches Cholesky's solution. */
    @ParameterizedTest
    @MethodSource("cases")
    void conjugateGradientWithEnoughStepsEqualsCholesky(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 30);
            int items = g.dim(1, 30);
            int rank = 1 + g.nextInt(6);
            boolean implicit = g.nextBoolean();
            boolean biases = !implicit && g.nextBoolean();
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            Als.Builder b = settings(g, kernels, implicit, biases).maxIterations(2);
            g.note("rank=" + rank + " " + backend);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel exact = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels);
                 FactorModel cg = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels)) {
                History he = b.solver(RowSolver.cholesky()).build().fit(exact, data);
                History hc = b.solver(RowSolver.conjugateGradient(4 * (rank + 1) + 10)).build().fit(cg, data);
                assertEquals(he.lastLoss(), hc.lastLoss(), 1e-3 * Math.abs(he.lastLoss()) + 1e-6, g.describe());
                float[] x = exact.itemFactors().toFlatArray();
                float[] y = cg.itemFactors().toFlatArray();
                double scale = 1e-6;
                for (float v : x) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int t = 0; t < x.length; t++) {
                    assertEquals(x[t], y[t], 2e-3 * scale, g.describe() + ": item factor " + t);
                }
            }
        }
    }

    /** One or two warm-started CG steps per row: the objective still never rises. */
    @ParameterizedTest
    @MethodSource("cases")
    void fewConjugateGradientStepsNeverRaiseTheObjective(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 40);
            int items = g.dim(1, 40);
            int rank = 1 + g.nextInt(8);
            boolean implicit = g.nextBoolean();
            boolean biases = !implicit && g.nextBoolean();
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            int steps = 1 + g.nextInt(2);
            Als.Builder b = settings(g, kernels, implicit, biases).solver(RowSolver.conjugateGradient(steps));
            g.note("rank=" + rank + " steps=" + steps + " " + backend);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels)) {
                History h = b.maxIterations(6).build().fit(model, data);
                double previous = h.losses()[0];
                for (double value : h.losses()) {
                    assertTrue(value <= previous * (1 + 1e-5) + 1e-6, g.describe() + ": objective rose from "
                            + previous + " to " + value + " in " + h);
                    previous = value;
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void cgAndNnlsFactorsAreBitIdenticalOnAnyThreadCount(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2); Parallel three = Parallel.threads(3)) {
            int users = g.dim(1, 300);
            int items = g.dim(1, 200);
            boolean implicit = g.nextBoolean();
            boolean biases = !implicit && g.nextBoolean();
            RowSolver solver = g.nextBoolean() ? RowSolver.conjugateGradient(1 + g.nextInt(4)) : RowSolver.nonNegative();
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            boolean weighted = g.nextBoolean();
            g.note("implicit=" + implicit + " biases=" + biases + " " + solver + " " + backend + " wr=" + weighted);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            float[][] reference = null;
            for (Parallel p : List.of(Parallel.sequential(), two, three)) {
                Kernels kernels = Kernels.of(backend, p);
                Als.Builder b = Als.builder().maxIterations(2).kernels(kernels).solver(solver).weightedRegularization(weighted)
                        .unobservedWeight(implicit ? 0f : 0.1f);
                if (implicit) {
                    b.implicit(2f);
                }
                try (Observations data = Observations.of(a);
                     FactorModel model = FactorModel.create(users, items, 5, biases, Initializer.scaledNormal(7), kernels)) {
                    History h = b.build().fit(model, data);
                    float[][] got = {model.userFactors().toFlatArray(), model.itemFactors().toFlatArray(),
                            biases ? model.userBiases().toFlatArray() : new float[0],
                            biases ? new float[] {model.globalBias()} : new float[0], {(float) h.lastLoss()}};
                    if (reference == null) {
                        reference = got;
                    } else {
                        for (int t = 0; t < got.length; t++) {
                            assertArrayEquals(reference[t], got[t], g.describe() + " on " + p);
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows longer than the CG panel are gathered again chunk by chunk for each product: the factors stay
     * bit-identical on 1 and 2 threads and agree with the whole-row panel up to rounding. One CG step:
     * with more, a row that converges to rounding level within the steps may stop one step earlier or
     * later under a different rounding (the residual floor), which is not a chunking error.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void cgRowsLongerThanThePanelAreChunked(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2)) {
            int users = g.dim(5, 120);
            int items = g.dim(5, 80);
            int rank = g.dim(1, 12);
            boolean biases = g.nextBoolean();
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            int cap = rank * (1 + g.nextInt(5));
            g.note("rank=" + rank + " biases=" + biases + " " + backend + " panel rows=" + cap / rank);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            float[][] reference = null;
            for (int run = 0; run < 3; run++) {
                Kernels kernels = Kernels.of(backend, run == 1 ? two : Parallel.sequential());
                Als.Builder builder = Als.builder().maxIterations(2).kernels(kernels).solver(RowSolver.conjugateGradient(1))
                        .regularization(new Regularization(0.1f, 0.1f)).reportObjective(false);
                Als als = (run < 2 ? builder.panelFloatsCap(cap) : builder).build();
                try (Observations data = Observations.of(a);
                     FactorModel model = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(3), kernels)) {
                    als.fit(model, data);
                    float[][] got = {model.userFactors().toFlatArray(), model.itemFactors().toFlatArray(),
                            biases ? model.itemBiases().toFlatArray() : new float[0],
                            biases ? new float[] {model.globalBias()} : new float[0]};
                    if (reference == null) {
                        reference = got;
                    } else if (run == 1) {
                        for (int t = 0; t < got.length; t++) {
                            assertArrayEquals(reference[t], got[t], g.describe() + ": chunked, 1 vs 2 threads");
                        }
                    } else {
                        for (int t = 0; t < got.length; t++) {
                            for (int e = 0; e < got[t].length; e++) {
                                assertEquals(got[t][e], reference[t][e], 1e-4 * (1 + Math.abs(got[t][e])),
                                        g.describe() + ": chunked vs whole panel, array " + t + " entry " + e);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Non-negative ALS: every factor ≥ 0 after a fit, and the objective never rises after the first iteration. */
    @ParameterizedTest
    @MethodSource("cases")
    void nonNegativeFactorsStayNonNegative(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 40);
            int items = g.dim(1, 40);
            int rank = 1 + g.nextInt(8);
            boolean implicit = g.nextBoolean();
            boolean biases = !implicit && g.nextBoolean();
            Kernels kernels = Kernels.of(g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR, Parallel.sequential());
            Als.Builder b = settings(g, kernels, implicit, biases).solver(RowSolver.nonNegative()).maxIterations(4);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels)) {
                History h = b.build().fit(model, data);
                for (float v : model.userFactors().toFlatArray()) {
                    assertTrue(v >= 0f, g.describe() + ": user factor " + v);
                }
                for (float v : model.itemFactors().toFlatArray()) {
                    assertTrue(v >= 0f, g.describe() + ": item factor " + v);
                }
                double[] losses = h.losses();
                for (int t = 1; t < losses.length; t++) {
                    assertTrue(losses[t] <= losses[t - 1] * (1 + 1e-5) + 1e-6, g.describe() + ": objective rose " + h);
                }
            }
        }
    }

    /**
     * The NNLS row solve against brute force: for n ≤ 6 every active set is tried (the unconstrained
     * minimiser on its complement, kept if feasible), and the best feasible objective must match; the
     * KKT conditions must hold as well.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void nnlsMatchesBruteForceAndSatisfiesKkt(Case c) {
        try (Gen g = c.gen()) {
            int n = 1 + g.nextInt(6);
            int free = g.nextInt(2) == 0 && n > 1 ? 1 : 0;
            int samples = n + g.nextInt(3 * n);
            double[][] m = new double[n][n];
            for (int s = 0; s < samples; s++) {
                double[] row = new double[n];
                for (int i = 0; i < n; i++) {
                    row[i] = g.random().nextGaussian();
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        m[i][j] += row[i] * row[j];
                    }
                }
            }
            float[] upper = new float[n * n];
            for (int i = 0; i < n; i++) {
                m[i][i] += 0.1;
                for (int j = i; j < n; j++) {
                    upper[i * n + j] = (float) m[i][j];
                    m[i][j] = upper[i * n + j];
                    m[j][i] = upper[i * n + j];
                }
            }
            float[] b = new float[n];
            for (int i = 0; i < n; i++) {
                b[i] = (float) (2 * g.random().nextGaussian());
            }
            g.note("n=" + n + " free=" + free);
            float[] x = b.clone();
            assertTrue(new Nnls(n).solve(upper, x, n, free), g.describe());
            double best = Double.POSITIVE_INFINITY;
            for (int mask = 0; mask < 1 << n; mask++) {
                // mask: the unknowns held at 0 (only constrained ones may be).
                if ((mask & ((1 << free) - 1)) != 0) {
                    continue;
                }
                double[] s = solveOn(m, b, n, mask);
                boolean feasible = true;
                for (int i = free; i < n; i++) {
                    feasible &= s[i] >= 0;
                }
                if (feasible) {
                    best = Math.min(best, objective(m, b, s));
                }
            }
            double[] xd = new double[n];
            for (int i = 0; i < n; i++) {
                xd[i] = x[i];
                if (i >= free) {
                    assertTrue(x[i] >= 0f, g.describe() + ": x[" + i + "] = " + x[i]);
                }
            }
            double got = objective(m, b, xd);
            assertEquals(best, got, 1e-4 * (Math.abs(best) + 1), g.describe() + ": objective against brute force");
            double scale = 0;
            for (int i = 0; i < n; i++) {
                scale = Math.max(scale, Math.abs(b[i]));
                for (int j = 0; j < n; j++) {
                    scale = Math.max(scale, Math.abs(m[i][j]) * Math.abs(xd[j]));
                }
            }
            for (int i = 0; i < n; i++) {
                double grad = -b[i];
                for (int j = 0; j < n; j++) {
                    grad += m[i][j] * xd[j];
                }
                double tol = 1e-4 * (scale + 1);
                if (i < free || x[i] > 0) {
                    assertEquals(0, grad, tol, g.describe() + ": gradient at passive " + i);
                } else {
                    assertTrue(grad >= -tol, g.describe() + ": gradient " + grad + " at active " + i + " points inside");
                }
            }
        }
    }

    private static double[] solveOn(double[][] m, float[] b, int n, int zeroMask) {
        int[] idx = new int[n];
        int p = 0;
        for (int i = 0; i < n; i++) {
            if ((zeroMask & (1 << i)) == 0) {
                idx[p++] = i;
            }
        }
        double[][] aug = new double[p][p + 1];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                aug[i][j] = m[idx[i]][idx[j]];
            }
            aug[i][p] = b[idx[i]];
        }
        for (int col = 0; col < p; col++) {
            int pivot = col;
            for (int r = col + 1; r < p; r++) {
                if (Math.abs(aug[r][col]) > Math.abs(aug[pivot][col])) {
                    pivot = r;
                }
            }
            double[] t = aug[col];
            aug[col] = aug[pivot];
            aug[pivot] = t;
            for (int r = 0; r < p; r++) {
                if (r != col) {
                    double f = aug[r][col] / aug[col][col];
                    for (int j = col; j <= p; j++) {
                        aug[r][j] -= f * aug[col][j];
                    }
                }
            }
        }
        double[] s = new double[n];
        for (int i = 0; i < p; i++) {
            s[idx[i]] = aug[i][p] / aug[i][i];
        }
        return s;
    }

    private static double objective(double[][] m, float[] b, double[] x) {
        double v = 0;
        for (int i = 0; i < x.length; i++) {
            v -= b[i] * x[i];
            for (int j = 0; j < x.length; j++) {
                v += 0.5 * x[i] * m[i][j] * x[j];
            }
        }
        return v;
    }

    /**
     * ALS-WR: after an iteration the item side minimises Σ_Ω(a − x)² + Σ_i n_i(ρ_f‖u_i‖² + ρ_b b_i²)
     * + Σ_j n_j(ρ_f‖v_j‖² + ρ_b c_j²), i.e. its gradient in V (checked in double against the unpenalised
     * SquaredLoss gradient plus 2ρ·n_j·v_j) vanishes, and the reported objective is that one.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void weightedRegularizationSolvesTheCountScaledNormalEquations(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 30);
            int items = g.dim(1, 30);
            int rank = 1 + g.nextInt(6);
            boolean biases = g.nextBoolean();
            Regularization reg = new Regularization(0.01f + 0.1f * g.nextInt(4), 0.01f * g.nextInt(3));
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            RowSolver solver = g.nextBoolean() ? RowSolver.cholesky() : RowSolver.conjugateGradient(60);
            g.note("rank=" + rank + " biases=" + biases + " " + reg + " " + backend + " " + solver);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels);
                 SquaredLoss plain = SquaredLoss.l3(data, 1f, Regularization.none(), kernels);
                 Gradients grads = Gradients.like(model)) {
                History h = Als.builder().maxIterations(2).kernels(kernels).regularization(reg).solver(solver)
                        .weightedRegularization(true).build().fit(model, data);
                double value = plain.evaluate(model, grads);
                float[][] v = model.itemFactors().toArray();
                float[][] gv = grads.itemFactors().toArray();
                double gradNorm = 0;
                double scale = 1;
                for (int j = 0; j < items; j++) {
                    long n = data.byItem().rowEnd(j) - data.byItem().rowStart(j);
                    double rowPenalty = 0;
                    for (int t = 0; t < rank; t++) {
                        double gt = gv[j][t] + 2.0 * reg.factors() * n * v[j][t];
                        gradNorm += gt * gt;
                        scale += Math.abs(gv[j][t]);
                        rowPenalty += (double) v[j][t] * v[j][t];
                    }
                    value += reg.factors() * n * rowPenalty;
                    if (biases) {
                        double cj = model.itemBiases().get(0, j);
                        double gb = grads.itemBiases().get(0, j) + 2.0 * reg.biases() * n * cj;
                        gradNorm += gb * gb;
                        value += reg.biases() * n * cj * cj;
                    }
                }
                float[][] u = model.userFactors().toArray();
                for (int i = 0; i < users; i++) {
                    long n = data.byUser().rowEnd(i) - data.byUser().rowStart(i);
                    for (int t = 0; t < rank; t++) {
                        value += reg.factors() * n * u[i][t] * (double) u[i][t];
                    }
                    if (biases) {
                        double bi = model.userBiases().get(0, i);
                        value += reg.biases() * n * bi * bi;
                    }
                }
                assertTrue(Math.sqrt(gradNorm) <= 3e-3 * scale, g.describe() + ": |grad V| = " + Math.sqrt(gradNorm)
                        + " against " + scale);
                assertEquals(value, h.lastLoss(), 1e-5 * Math.abs(value) + 1e-6, g.describe() + ": reported objective");
            }
        }
    }

    /** On a fully observed square matrix every count is n, so ALS-WR with ρ is plain ALS with n·ρ, bit for bit. */
    @Test
    void weightedRegularizationOnADenseSquareMatrixIsPlainAlsWithScaledLambda() {
        int n = 12;
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        CsrMatrix.Builder b = CsrMatrix.builder(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                b.add(i, j, 1 + r.nextInt(5));
            }
        }
        Kernels kernels = Kernels.of(Backend.PANAMA, Parallel.sequential());
        float rho = 0.03f;
        try (CsrMatrix a = b.build(DuplicatePolicy.ERROR); Observations data = Observations.of(a);
             FactorModel wr = FactorModel.create(n, n, 3, true, Initializer.scaledNormal(1), kernels);
             FactorModel scaled = FactorModel.create(n, n, 3, true, Initializer.scaledNormal(1), kernels)) {
            History hw = Als.builder().maxIterations(3).kernels(kernels).regularization(Regularization.of(rho))
                    .weightedRegularization(true).build().fit(wr, data);
            History hs = Als.builder().maxIterations(3).kernels(kernels).regularization(Regularization.of(rho * n))
                    .build().fit(scaled, data);
            assertArrayEquals(scaled.userFactors().toFlatArray(), wr.userFactors().toFlatArray());
            assertArrayEquals(scaled.itemFactors().toFlatArray(), wr.itemFactors().toFlatArray());
            assertArrayEquals(scaled.itemBiases().toFlatArray(), wr.itemBiases().toFlatArray());
            assertEquals(hs.lastLoss(), hw.lastLoss(), 1e-5 * hs.lastLoss());
        }
    }

    @Test
    void theObjectiveCanBeSkippedWithoutChangingTheFactors() {
        Kernels kernels = Kernels.of(Backend.PANAMA, Parallel.sequential());
        try (Gen g = new Gen(11)) {
            CsrMatrix a = AlsTest.randomRatings(g, 30, 20);
            try (Observations data = Observations.of(a);
                 FactorModel reported = FactorModel.create(30, 20, 4, true, Initializer.scaledNormal(2), kernels);
                 FactorModel silent = FactorModel.create(30, 20, 4, true, Initializer.scaledNormal(2), kernels)) {
                History hr = Als.builder().maxIterations(3).kernels(kernels).build().fit(reported, data);
                History hs = Als.builder().maxIterations(3).kernels(kernels).reportObjective(false).build().fit(silent, data);
                assertArrayEquals(reported.userFactors().toFlatArray(), silent.userFactors().toFlatArray());
                assertArrayEquals(reported.itemFactors().toFlatArray(), silent.itemFactors().toFlatArray());
                assertTrue(Double.isFinite(hr.lastLoss()));
                assertTrue(Double.isNaN(hs.lastLoss()), hs.toString());
                assertEquals(3, hs.epochs());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Als.builder().tolerance(1e-3).reportObjective(false).build());
        assertThrows(IllegalArgumentException.class, () -> RowSolver.conjugateGradient(0));
        assertThrows(NullPointerException.class, () -> Als.builder().solver(null));
        assertEquals("cholesky", RowSolver.automatic().at(128).toString());
        assertEquals("conjugateGradient(3)", RowSolver.automatic().at(129).toString());
    }
}
