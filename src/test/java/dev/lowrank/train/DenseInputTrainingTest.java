package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.DenseObservations;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Trainer.fit on a dense A: the in-place and the CSR path train the same model; the choice follows the cost model. */
class DenseInputTrainingTest {

    @Test
    void choiceFollowsDensityAndRank() {
        assertTrue(Trainer.prefersDense(1.0, 3), "seed 000's fully observed A, k = 3");
        assertTrue(Trainer.prefersDense(0.05, 3));
        assertFalse(Trainer.prefersDense(0.01, 3));
        assertTrue(Trainer.prefersDense(0.5, 16));
        assertFalse(Trainer.prefersDense(0.1, 16));
        assertTrue(Trainer.prefersDense(1.0, 64));
        assertFalse(Trainer.prefersDense(0.3, 64));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void inPlaceAndCsrPathsTrainTheSameModel(Backend backend) {
        int m = 37;
        int n = 53;
        Kernels kernels = Kernels.of(backend, Parallel.sequential());
        SplittableRandom rnd = new SplittableRandom(11);
        float[] flat = new float[m * n];
        for (int t = 0; t < flat.length; t++) {
            flat[t] = rnd.nextDouble() < 0.6 ? (float) (1 + 4 * rnd.nextDouble()) : 0f;
        }
        try (DenseMatrix a = DenseMatrix.of(m, n, flat);
             FactorModel viaDense = FactorModel.create(m, n, 3, true, Initializer.uniform(5), kernels);
             FactorModel viaCsr = viaDense.copy();
             FactorModel viaFit = viaDense.copy();
             Observations obs = Observations.nonZero(a);
             Loss csr = SquaredLoss.l4(obs, 0.01f, 0.001f, new Regularization(0.01f, 0.01f), kernels);
             Loss dense = SquaredLoss.l4(DenseObservations.nonZero(a), 0.01f, 0.001f, new Regularization(0.01f, 0.01f),
                     kernels)) {
            Trainer trainer = Trainer.builder(Adam.of(1e-2)).maxEpochs(60).kernels(kernels).build();
            double[] d = trainer.fit(viaDense, dense).losses();
            double[] c = trainer.fit(viaCsr, csr).losses();
            assertEquals(60, d.length);
            for (int t = 0; t < d.length; t++) {
                assertEquals(c[t], d[t], 1e-4 * Math.abs(c[t]), "epoch " + (t + 1));
            }
            assertTrue(d[59] < 0.8 * d[0], "the loss fell only from " + d[0] + " to " + d[59]);
            for (int i = 0; i < m; i++) {
                for (int f = 0; f < 3; f++) {
                    assertEquals(viaCsr.userFactors().get(i, f), viaDense.userFactors().get(i, f), 1e-3);
                }
            }
            // Seed 000's entry point (no biases, no L2) takes the in-place path here (60% observed, k = 3).
            try (FactorModel plain = FactorModel.create(m, n, 3, false, Initializer.uniform(5), kernels)) {
                History h = Trainer.fit(plain, a, 40, Adam.of(1e-2), 0.01f, 0.001f, 0);
                assertTrue(h.lastLoss() < h.loss(1), h.toString());
            }
        }
    }
}
