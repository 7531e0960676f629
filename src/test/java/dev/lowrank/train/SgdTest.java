package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SgdTest {

    static Stream<Case> cases() {
        return Cases.of("sgd", 40);
    }

    /**
     * Seed 002's bug guard: on a single rating, one SGD step must equal θ − (η/2)·∇ℓ with ℓ the
     * per-rating objective, its gradient taken by central differences in double.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void oneStepIsHalfTheRateTimesTheGradient(Case c) {
        try (Gen g = c.gen()) {
            int rank = 1 + g.nextInt(20);
            float rho = 0.01f * g.nextInt(50);
            float rhoB = 0.01f * g.nextInt(50);
            float eta = 0.001f * (1 + g.nextInt(50));
            float a = 1 + g.nextInt(5);
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            g.note("rank=" + rank + " rho=" + rho + " rhoB=" + rhoB + " eta=" + eta + " a=" + a + " " + backend);
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            try (CsrMatrix m = CsrMatrix.fromCoo(1, 1, new int[] {0}, new int[] {0}, new float[] {a}, DuplicatePolicy.ERROR);
                 Observations data = Observations.of(m);
                 FactorModel model = FactorModel.create(1, 1, rank, true, Initializer.normal(0.5, c.seed()), kernels)) {
                // Start from non-zero biases so that their penalty is exercised too.
                model.userBiases().set(0, 0, 0.3f);
                model.itemBiases().set(0, 0, -0.2f);
                double[] theta = new double[2 * rank + 2];
                for (int t = 0; t < rank; t++) {
                    theta[t] = model.userFactors().get(0, t);
                    theta[rank + t] = model.itemFactors().get(0, t);
                }
                theta[2 * rank] = 0.3f;
                theta[2 * rank + 1] = -0.2f;
                double mu = a; // the mean of the single training rating
                double[] expected = theta.clone();
                for (int t = 0; t < theta.length; t++) {
                    double h = 1e-4;
                    double[] plus = theta.clone();
                    double[] minus = theta.clone();
                    plus[t] += h;
                    minus[t] -= h;
                    double grad = (objective(plus, rank, a, mu, rho, rhoB) - objective(minus, rank, a, mu, rho, rhoB)) / (2 * h);
                    expected[t] -= eta / 2.0 * grad;
                }
                Sgd.builder().maxEpochs(1).learningRate(LearningRate.constant(eta))
                        .regularization(new Regularization(rho, rhoB)).grid(1).kernels(kernels).build().fit(model, data);
                for (int t = 0; t < rank; t++) {
                    assertEquals(expected[t], model.userFactors().get(0, t), 1e-5, g.describe() + " u[" + t + "]");
                    assertEquals(expected[rank + t], model.itemFactors().get(0, t), 1e-5, g.describe() + " v[" + t + "]");
                }
                assertEquals(expected[2 * rank], model.userBias(0), 1e-5, g.describe() + " b");
                assertEquals(expected[2 * rank + 1], model.itemBias(0), 1e-5, g.describe() + " c");
            }
        }
    }

    private static double objective(double[] th, int rank, double a, double mu, double rho, double rhoB) {
        double s = 0;
        double norms = 0;
        for (int t = 0; t < rank; t++) {
            s += th[t] * th[rank + t];
            norms += th[t] * th[t] + th[rank + t] * th[rank + t];
        }
        double b = th[2 * rank];
        double c = th[2 * rank + 1];
        double e = a - (mu + b + c + s);
        return e * e + rho * norms + rhoB * (b * b + c * c);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sameSeedAndGridGiveTheSameFactorsOnAnyThreadCount(Case c) {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2); Parallel three = Parallel.threads(3)) {
            int users = g.dim(1, 200);
            int items = g.dim(1, 200);
            int grid = 1 + g.nextInt(6);
            boolean biases = g.nextBoolean();
            g.note("grid=" + grid + " biases=" + biases);
            CsrMatrix a = AlsTest.randomRatings(g, users, items);
            float[] reference = null;
            for (Parallel p : List.of(Parallel.sequential(), two, three)) {
                Kernels kernels = Kernels.of(Backend.PANAMA, p);
                try (Observations data = Observations.of(a);
                     FactorModel model = FactorModel.create(users, items, 6, biases, Initializer.scaledNormal(3), kernels)) {
                    Sgd.builder().maxEpochs(3).grid(grid).seed(c.seed()).kernels(kernels).build().fit(model, data);
                    float[] got = concat(model.userFactors().toFlatArray(), model.itemFactors().toFlatArray(),
                            biases ? model.itemBiases().toFlatArray() : new float[0]);
                    if (reference == null) {
                        reference = got;
                    } else {
                        assertArrayEquals(reference, got, g.describe() + " on " + p);
                    }
                }
            }
        }
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void fitsAPlantedMatrixAndTheSeedMatters() {
        int users = 80;
        int items = 60;
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        double[][] pu = new double[users][2];
        double[][] pv = new double[items][2];
        for (double[] row : pu) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        for (double[] row : pv) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        CsrMatrix.Builder b = CsrMatrix.builder(users, items);
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (r.nextDouble() < 0.6) {
                    b.add(i, j, (float) (3 + pu[i][0] * pv[j][0] + pu[i][1] * pv[j][1]));
                }
            }
        }
        Kernels kernels = Kernels.defaults();
        try (CsrMatrix a = b.build(DuplicatePolicy.ERROR); Observations data = Observations.of(a);
             FactorModel m1 = FactorModel.create(users, items, 4, true, Initializer.normal(0.1, 1), kernels);
             FactorModel m2 = FactorModel.create(users, items, 4, true, Initializer.normal(0.1, 1), kernels)) {
            History h = Sgd.builder().maxEpochs(150).learningRate(LearningRate.constant(0.02))
                    .regularization(Regularization.of(0.001f)).seed(1).kernels(kernels).build().fit(m1, data);
            double first = h.loss(1);
            double last = h.lastLoss();
            assertTrue(last < 0.01 * first, "loss fell only from " + first + " to " + last);
            assertTrue(last / a.nnz() < 1e-3, "mean squared error " + last / a.nnz());
            Sgd.builder().maxEpochs(2).seed(2).kernels(kernels).build().fit(m2, data);
            try (FactorModel m3 = FactorModel.create(users, items, 4, true, Initializer.normal(0.1, 1), kernels)) {
                Sgd.builder().maxEpochs(2).seed(3).kernels(kernels).build().fit(m3, data);
                assertFalse(Arrays.equals(m2.userFactors().toFlatArray(), m3.userFactors().toFlatArray()),
                        "different seeds must visit the ratings in different orders");
            }
        }
    }

    @Test
    void rejectsBadSettingsAndDivergence() {
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().maxEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().grid(0));
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().tolerance(-1));
        Kernels kernels = Kernels.defaults();
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {0, 1}, new float[] {5, 1}, DuplicatePolicy.ERROR);
             Observations data = Observations.of(a);
             FactorModel wrong = FactorModel.create(2, 3, 2, false, Initializer.scaledNormal(1), kernels);
             FactorModel model = FactorModel.create(2, 2, 2, false, Initializer.normal(3, 1), kernels)) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> Sgd.builder().build().fit(wrong, data));
            assertTrue(shape.getMessage().contains("2x3"), shape.getMessage());
            RuntimeException diverged = assertThrows(RuntimeException.class, () -> Sgd.builder().maxEpochs(200)
                    .learningRate(LearningRate.constant(50)).kernels(kernels).build().fit(model, data));
            assertTrue(diverged.getMessage().contains("lower the learning rate") || diverged.getMessage().contains("not finite"),
                    diverged.getMessage());
        }
    }
}
