package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Kernels.adamStep on awkward shapes: both providers give the same bits, and match a double reference. */
class AdamStepKernelTest {

    static Stream<Case> cases() {
        return Cases.of("adam-step-kernel", 120);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void providersAgreeBitwiseAndMatchReference(Case c) {
        try (Gen g = c.gen()) {
            int rows = g.dim(0, 40);
            int cols = g.dim(0, 70);
            float alpha = (float) (0.1 * g.random().nextDouble());
            float[][] init = new float[4][];
            for (int t = 0; t < 4; t++) {
                init[t] = new float[rows * cols];
                for (int q = 0; q < init[t].length; q++) {
                    double x = g.random().nextGaussian();
                    init[t][q] = (float) (t == 3 ? x * x : x); // v must be >= 0
                }
            }
            float[][] results = new float[2][];
            for (Backend b : Backend.values()) {
                Kernels k = Kernels.of(b, Parallel.sequential());
                try (DenseMatrix p = DenseMatrix.of(rows, cols, init[0]); DenseMatrix gr = DenseMatrix.of(rows, cols, init[1]);
                     DenseMatrix m = DenseMatrix.of(rows, cols, init[2]); DenseMatrix v = DenseMatrix.of(rows, cols, init[3])) {
                    k.adamStep(alpha, 0.9f, 0.999f, 1e-7f, p, gr, m, v);
                    results[b.ordinal()] = p.toFlatArray();
                }
            }
            String ctx = g.describe() + " " + rows + "x" + cols + " alpha=" + alpha;
            for (int q = 0; q < rows * cols; q++) {
                assertEquals(results[0][q], results[1][q], ctx + ": providers differ at " + q);
                double gq = init[1][q];
                double mq = init[2][q] + (gq - init[2][q]) * 0.1;
                double vq = init[3][q] + (gq * gq - init[3][q]) * (1 - 0.999);
                double expected = init[0][q] - alpha * mq / (Math.sqrt(vq) + 1e-7);
                assertEquals(expected, results[0][q], 1e-5 * (1 + Math.abs(expected) + Math.abs(alpha * mq / (Math.sqrt(vq) + 1e-7))),
                        ctx + ": element " + q);
            }
        }
    }
}
