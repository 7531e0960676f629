package dev.lowrank.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Tolerance;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FactorModelTest {

    static Stream<Case> cases() {
        return Cases.of("factor-model-predict", 60);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void predictAndPredictRowMatchTheNaiveFormula(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                int m = g.dim(1, 20);
                int n = g.dim(0, 70);
                int k = g.dim(1, 40);
                boolean biases = g.nextBoolean();
                Kernels kernels = Kernels.of(backend, Parallel.sequential());
                try (FactorModel model = FactorModel.create(m, n, k, biases, Initializer.normal(1, g.seed()), kernels)) {
                    if (biases) {
                        model.setGlobalBias(3.5f);
                        for (int i = 0; i < m; i++) {
                            model.userBiases().set(0, i, (float) g.random().nextGaussian());
                        }
                        for (int j = 0; j < n; j++) {
                            model.itemBiases().set(0, j, (float) g.random().nextGaussian());
                        }
                    }
                    int i = g.nextInt(m);
                    float[] row = model.predictRow(i);
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        double abs = 0;
                        for (int t = 0; t < k; t++) {
                            double x = (double) model.userFactors().get(i, t) * model.itemFactors().get(j, t);
                            s += x;
                            abs += Math.abs(x);
                        }
                        double b = biases ? 3.5 + model.userBias(i) + model.itemBias(j) : 0;
                        String ctx = g.describe() + " " + backend + " m=" + m + " n=" + n + " k=" + k + " biases=" + biases
                                + " (" + i + "," + j + ")";
                        Tolerance.assertClose(s + b, model.predict(i, j), k + 3, abs + Math.abs(b) + 8, ctx);
                        assertEquals(model.predict(i, j), row[j], ctx);
                    }
                }
            }
        }
    }

    @Test
    void initialisersAreSeededAndInRange() {
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (FactorModel a = FactorModel.create(30, 20, 5, false, Initializer.uniform(4), kernels);
             FactorModel b = FactorModel.create(30, 20, 5, false, Initializer.uniform(4), kernels);
             FactorModel c = FactorModel.create(30, 20, 64, false, Initializer.scaledNormal(4), kernels)) {
            assertArrayEquals(a.userFactors().toFlatArray(), b.userFactors().toFlatArray());
            assertArrayEquals(a.itemFactors().toFlatArray(), b.itemFactors().toFlatArray());
            for (float x : a.userFactors().toFlatArray()) {
                assertTrue(x >= 0f && x < 1f, "uniform value " + x);
            }
            double sq = 0;
            float[] u = c.userFactors().toFlatArray();
            for (float x : u) {
                sq += x * x;
            }
            double sd = Math.sqrt(sq / u.length);
            assertEquals(1 / Math.sqrt(64), sd, 0.02, "scaled-normal standard deviation");
        }
    }

    @Test
    void closedModelAndBadArgumentsAreRefused() {
        FactorModel m = FactorModel.create(3, 4, 2, false, Initializer.uniform(1));
        assertThrows(IllegalStateException.class, () -> m.setGlobalBias(1f));
        assertThrows(IndexOutOfBoundsException.class, () -> m.predict(3, 0));
        assertThrows(IllegalArgumentException.class, () -> m.predictRow(0, new float[3]));
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, () -> m.predict(0, 0));
        assertThrows(IllegalArgumentException.class, () -> Initializer.normal(0, 1));
    }
}
