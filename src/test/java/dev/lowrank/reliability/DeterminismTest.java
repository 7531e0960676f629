package dev.lowrank.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.train.GradientDescent;
import dev.lowrank.train.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Plain gradient descent gives bit-identical factors on 1, 2 and 3 threads (Adam: TrainerTest; ALS explicit
 * and implicit: AlsTest; SGD for a fixed seed and grid: SgdTest — the per-solver table is in
 * docs/reliability.md).
 */
class DeterminismTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void gradientDescentIsBitIdenticalOnOneTwoAndThreeThreads(Backend backend) {
        float[][] reference = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel p = Parallel.threads(threads)) {
                float[][] got = fit(Kernels.of(backend, p));
                if (reference == null) {
                    reference = got;
                } else {
                    for (int t = 0; t < got.length; t++) {
                        assertArrayEquals(reference[t], got[t], backend + ", parameter " + t + " on " + threads + " threads");
                    }
                }
            }
        }
    }

    /** 2100 users: the reductions over users (Gramian, Frobenius dot) are cut into several fixed blocks. */
    private static float[][] fit(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(21);
        int m = 2100;
        int n = 120;
        int nnz = 8_000;
        int[] r = new int[nnz];
        int[] c = new int[nnz];
        float[] v = new float[nnz];
        for (int t = 0; t < nnz; t++) {
            r[t] = rnd.nextInt(m);
            c[t] = rnd.nextInt(n);
            v[t] = 1 + rnd.nextInt(5);
        }
        try (CsrMatrix a = CsrMatrix.fromCoo(m, n, r, c, v, DuplicatePolicy.SUM);
             Observations obs = Observations.of(a);
             Loss loss = SquaredLoss.l4(obs, 1f, 0.02f, Regularization.of(0.05f), k);
             FactorModel model = FactorModel.create(m, n, 6, true, Initializer.scaledNormal(4), k)) {
            Trainer.builder(GradientDescent.of(0.002)).maxEpochs(2).kernels(k).build().fit(model, loss);
            return model.parameters().stream().map(DenseMatrix::toFlatArray).toArray(float[][]::new);
        }
    }
}
