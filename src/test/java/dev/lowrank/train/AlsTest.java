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
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AlsTest {

    static Stream<Case> cases() {
        return Cases.of("als", 60);
    }

    /** Ratings in half steps from 0.5 to 5 at random positions, every row and column possibly empty. */
    static CsrMatrix randomRatings(Gen g, int users, int items) {
        double density = 0.1 + 0.6 * g.random().nextDouble();
        List<int[]> at = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (g.random().nextDouble() < density) {
                    at.add(new int[] {i, j});
                }
            }
        }
        int[] r = new int[at.size()];
        int[] c = new int[at.size()];
        float[] v = new float[at.size()];
        for (int t = 0; t < at.size(); t++) {
            r[t] = at.get(t)[0];
            c[t] = at.get(t)[1];
            v[t] = (1 + g.nextInt(10)) * 0.5f;
        }
        g.note("ratings=" + users + "x" + items + "/nnz" + at.size());
        return g.own(CsrMatrix.fromCoo(users, items, r, c, v, DuplicatePolicy.ERROR));
    }

    /**
     * Each half-step minimises the objective over one side exactly, so right after the item half-step
     * the gradient with respect to V (and the item biases) of that very objective must vanish, up to
     * float rounding in the row solves.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void itemSideIsOptimalAfterAnIterationAndTheObjectiveNeverRises(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 40);
            int items = g.dim(1, 40);
            int rank = 1 + g.nextInt(8);
            boolean biases = g.nextBoolean();
            float lambda1 = g.nextBoolean() ? 1f : 0.5f + g.nextInt(3);
            float lambda2 = g.nextBoolean() ? 0f : 0.01f * (1 + g.nextInt(50));
            Regularization reg = new Regularization(0.05f + g.nextInt(3) * 0.5f, 0.1f * g.nextInt(3));
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            g.note("rank=" + rank + " biases=" + biases + " l1=" + lambda1 + " l2=" + lambda2 + " " + reg + " " + backend);
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            CsrMatrix a = randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(users, items, rank, biases, Initializer.scaledNormal(c.seed()), kernels);
                 SquaredLoss loss = SquaredLoss.l4(data, lambda1, lambda2, reg, kernels);
                 Gradients grads = Gradients.like(model)) {
                double before = loss.evaluate(model, grads);
                double scale = Math.sqrt(grads.normSquared(kernels)) + 1;
                History h = Als.builder().maxIterations(4).kernels(kernels).observedWeight(lambda1)
                        .unobservedWeight(lambda2).regularization(reg).build().fit(model, data);
                double after = loss.evaluate(model, grads);
                assertEquals(h.lastLoss(), after, 1e-6 * Math.abs(after), g.describe());
                double itemGrad = kernels.dot(grads.itemFactors(), grads.itemFactors())
                        + (biases ? kernels.dot(grads.itemBiases(), grads.itemBiases()) : 0);
                assertTrue(Math.sqrt(itemGrad) <= 2e-3 * scale, g.describe() + ": |grad V| = " + Math.sqrt(itemGrad)
                        + " against an initial gradient of " + scale);
                double previous = before;
                for (double value : h.losses()) {
                    assertTrue(value <= previous * (1 + 1e-5) + 1e-6, g.describe() + ": objective rose from "
                            + previous + " to " + value);
                    previous = value;
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void factorsAreBitIdenticalOnAnyThreadCount(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2); Parallel three = Parallel.threads(3)) {
            int users = g.dim(1, 300);
            int items = g.dim(1, 200);
            boolean implicit = g.nextBoolean();
            boolean biases = !implicit && g.nextBoolean();
            g.note("implicit=" + implicit + " biases=" + biases);
            CsrMatrix a = randomRatings(g, users, items);
            float[][] reference = null;
            for (Parallel p : List.of(Parallel.sequential(), two, three)) {
                Kernels kernels = Kernels.of(Backend.PANAMA, p);
                Als.Builder b = Als.builder().maxIterations(2).kernels(kernels).unobservedWeight(implicit ? 0f : 0.1f);
                if (implicit) {
                    b.implicit(2f);
                }
                try (Observations data = Observations.of(a);
                     FactorModel model = FactorModel.create(users, items, 5, biases, Initializer.scaledNormal(7), kernels)) {
                    b.build().fit(model, data);
                    float[][] got = {model.userFactors().toFlatArray(), model.itemFactors().toFlatArray(),
                            biases ? model.userBiases().toFlatArray() : new float[0],
                            biases ? new float[] {model.globalBias()} : new float[0]};
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

    /** Implicit ALS against a dense double-precision gradient of the HKV objective over all users × items. */
    @ParameterizedTest
    @MethodSource("cases")
    void implicitItemSideIsOptimal(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 25);
            int items = g.dim(1, 25);
            int rank = 1 + g.nextInt(6);
            float alpha = 0.5f + g.nextInt(20);
            float rho = 0.1f + g.nextInt(3);
            g.note("rank=" + rank + " alpha=" + alpha + " rho=" + rho);
            Kernels kernels = Kernels.of(g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR, Parallel.sequential());
            CsrMatrix a = randomRatings(g, users, items);
            try (Observations data = Observations.of(a);
                 FactorModel model = FactorModel.create(users, items, rank, false, Initializer.scaledNormal(c.seed()), kernels)) {
                History h = Als.builder().maxIterations(3).kernels(kernels).implicit(alpha)
                        .regularization(new Regularization(rho, 0f)).build().fit(model, data);
                float[][] u = model.userFactors().toArray();
                float[][] v = model.itemFactors().toArray();
                double objective = 0;
                double gradNorm = 0;
                double scale = 0;
                for (int j = 0; j < items; j++) {
                    double[] grad = new double[rank];
                    for (int i = 0; i < users; i++) {
                        double s = 0;
                        for (int t = 0; t < rank; t++) {
                            s += (double) u[i][t] * v[j][t];
                        }
                        float aij = a.get(i, j);
                        boolean observed = aij != 0f || isStored(a, i, j);
                        double conf = observed ? 1 + alpha * (double) aij : 1;
                        double pref = observed ? 1 : 0;
                        objective += conf * (pref - s) * (pref - s);
                        for (int t = 0; t < rank; t++) {
                            grad[t] += -2 * conf * (pref - s) * u[i][t];
                            scale += Math.abs(2 * conf * pref * u[i][t]);
                        }
                    }
                    for (int t = 0; t < rank; t++) {
                        grad[t] += 2 * rho * v[j][t];
                        gradNorm += grad[t] * grad[t];
                    }
                }
                for (float[] row : u) {
                    for (float x : row) {
                        objective += rho * x * x;
                    }
                }
                for (float[] row : v) {
                    for (float x : row) {
                        objective += rho * x * x;
                    }
                }
                assertEquals(objective, h.lastLoss(), 1e-4 * objective + 1e-6, g.describe() + ": reported objective");
                assertTrue(Math.sqrt(gradNorm) <= 1e-3 * (scale + 1), g.describe() + ": |grad V| = " + Math.sqrt(gradNorm));
            }
        }
    }

    private static boolean isStored(CsrMatrix a, int i, int j) {
        for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
            if (a.columnIndex(p) == j) {
                return true;
            }
        }
        return false;
    }

    @Test
    void recoversAPlantedLowRankMatrix() {
        int users = 60;
        int items = 50;
        int rank = 3;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        double[][] pu = new double[users][rank];
        double[][] pv = new double[items][rank];
        for (double[] row : pu) {
            for (int t = 0; t < rank; t++) {
                row[t] = r.nextGaussian();
            }
        }
        for (double[] row : pv) {
            for (int t = 0; t < rank; t++) {
                row[t] = r.nextGaussian();
            }
        }
        CsrMatrix.Builder b = CsrMatrix.builder(users, items);
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (r.nextDouble() < 0.5) {
                    double s = 0;
                    for (int t = 0; t < rank; t++) {
                        s += pu[i][t] * pv[j][t];
                    }
                    b.add(i, j, (float) s);
                }
            }
        }
        Kernels kernels = Kernels.defaults();
        try (CsrMatrix a = b.build(DuplicatePolicy.ERROR);
             Observations data = Observations.of(a);
             FactorModel model = FactorModel.create(users, items, rank, false, Initializer.scaledNormal(1), kernels)) {
            History h = Als.builder().maxIterations(60).regularization(new Regularization(1e-4f, 0f)).kernels(kernels)
                    .build().fit(model, data);
            double mse = h.lastLoss() / a.nnz();
            assertTrue(mse < 1e-4, "mean squared error on the observed entries " + mse + " after " + h);
        }
    }

    @Test
    void rejectsBadSettingsAndData() {
        assertThrows(IllegalArgumentException.class, () -> Als.builder().maxIterations(0));
        assertThrows(IllegalArgumentException.class, () -> Als.builder().observedWeight(0));
        assertThrows(IllegalArgumentException.class, () -> Als.builder().unobservedWeight(-1));
        assertThrows(IllegalArgumentException.class, () -> Als.builder().implicit(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Als.builder().implicit(1).unobservedWeight(1).build());
        Kernels kernels = Kernels.defaults();
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {0, 1}, new float[] {1, -1}, DuplicatePolicy.ERROR);
             Observations data = Observations.of(a);
             FactorModel wrongShape = FactorModel.create(3, 2, 2, false, Initializer.scaledNormal(1), kernels);
             FactorModel withBiases = FactorModel.create(2, 2, 2, true, Initializer.scaledNormal(1), kernels);
             FactorModel plain = FactorModel.create(2, 2, 2, false, Initializer.scaledNormal(1), kernels)) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> Als.builder().build().fit(wrongShape, data));
            assertTrue(shape.getMessage().contains("2x2") && shape.getMessage().contains("3x2"), shape.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Als.builder().implicit(1).build().fit(withBiases, data));
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> Als.builder().implicit(1).build().fit(plain, data));
            assertTrue(negative.getMessage().contains("non-negative"), negative.getMessage());
            ArithmeticException singular = assertThrows(ArithmeticException.class,
                    () -> Als.builder().regularization(Regularization.none()).build().fit(plain, data));
            assertTrue(singular.getMessage().contains("singular"), singular.getMessage());
        }
    }
}
