package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CholeskySolvePropertyTest {

    static Stream<Case> cases() {
        return Cases.of("cholesky", 250);
    }

    /**
     * The backward error of a Cholesky solve in float is bounded by about (3n+1)·u·‖|Rᵀ||R|‖·‖x‖, and
     * ‖|Rᵀ||R|‖ ≤ n·max|m_ij| for SPD M; we allow 4× that. A wrong solve leaves a residual of order ‖b‖.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void solvesSpdSystemsOnBothBackends(Case c) {
        try (Gen g = c.gen()) {
            int n = g.dim(1, 70);
            int samples = n + g.nextInt(2 * n + 1);
            float[][] b = g.values(samples, n);
            double ridge = Math.pow(10, -g.nextInt(4));
            g.note("n=" + n + " samples=" + samples + " ridge=" + ridge);
            double[][] m = new double[n][n];
            for (float[] row : b) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        m[i][j] += (double) row[i] * row[j];
                    }
                }
            }
            double maxAbs = 0;
            for (int i = 0; i < n; i++) {
                m[i][i] += ridge;
                for (int j = 0; j < n; j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(m[i][j]));
                }
            }
            float[] rhs = new float[n];
            for (int i = 0; i < n; i++) {
                rhs[i] = (float) g.random().nextGaussian();
            }
            for (Backend backend : Backend.values()) {
                float[] mf = new float[n * n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        // Only the upper triangle may be read: poison the lower one.
                        mf[i * n + j] = j >= i ? (float) m[i][j] : Float.NaN;
                    }
                }
                float[] x = rhs.clone();
                Kernels.of(backend, Parallel.sequential()).choleskySolve(mf, x, n);
                double xMax = 0;
                for (float v : x) {
                    xMax = Math.max(xMax, Math.abs(v));
                }
                double tol = 4 * (3 * n + 1) * 0x1p-24 * n * maxAbs * xMax + 1e-6;
                for (int i = 0; i < n; i++) {
                    double r = -rhs[i];
                    for (int j = 0; j < n; j++) {
                        r += m[i][j] * x[j];
                    }
                    assertTrue(Math.abs(r) <= tol, backend + " " + g.describe() + ": residual " + r + " at " + i
                            + " exceeds " + tol);
                }
            }
        }
    }

    @Test
    void refusesMatricesThatAreNotPositiveDefinite() {
        for (Backend backend : Backend.values()) {
            Kernels k = Kernels.of(backend, Parallel.sequential());
            float[] indefinite = {1, 2, 0, 1}; // [[1, 2], [2, 1]] has eigenvalue -1
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> k.choleskySolve(indefinite, new float[2], 2));
            assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
            assertThrows(ArithmeticException.class, () -> k.choleskySolve(new float[] {0}, new float[1], 1));
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> k.choleskySolve(new float[3], new float[2], 2));
            assertTrue(small.getMessage().contains("2x2"), small.getMessage());
        }
    }

    @Test
    void addGramUpperValidatesAndAddsTheUpperTriangle() {
        try (DenseMatrix a = DenseMatrix.of(new float[][] {{3, 4}, {5, 6}, {1, 2}})) {
            for (Backend backend : Backend.values()) {
                Kernels k = Kernels.of(backend, Parallel.sequential());
                float[] out = {1, 1, -7, 1};
                k.addGramUpper(a, 2, out);
                assertEquals(1 + 3 * 3 + 5 * 5, out[0]);
                assertEquals(1 + 3 * 4 + 5 * 6, out[1]);
                assertEquals(-7, out[2]);
                assertEquals(1 + 4 * 4 + 6 * 6, out[3]);
                assertThrows(IllegalArgumentException.class, () -> k.addGramUpper(a, 3, new float[3]));
                assertThrows(IndexOutOfBoundsException.class, () -> k.addGramUpper(a, 4, out));
            }
        }
    }
}
