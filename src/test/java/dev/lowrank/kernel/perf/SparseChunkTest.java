package dev.lowrank.kernel.perf;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Tolerance;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SpMM and SDDMM paths picked by k: whole 4-vector chunks, a 2-vector chunk, single masked vectors
 * (SpMM), and u held in registers for k ≤ 4 vectors versus the general dot (SDDMM). k is drawn around the
 * 128-, 256- and 512-bit chunk boundaries so every path runs on every species.
 */
class SparseChunkTest {

    private static final int[] KS = {1, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 80, 127, 128, 129};

    static Stream<Case> cases() {
        return Cases.of("sparse-chunks", 60);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void spmmAndSddmmMatchTheReference(Case c) {
        try (Gen g = c.gen()) {
            Backend backend = g.nextBoolean() ? Backend.PANAMA : Backend.SCALAR;
            int k = KS[g.nextInt(KS.length)];
            int m = g.dim(1, 40);
            int n = g.dim(1, 40);
            g.note(backend + " k=" + k);
            CsrMatrix a = g.csr("A", m, n);
            DenseMatrix b = g.dense("B", n, k);
            DenseMatrix cm = g.dense("C", m, k);
            DenseMatrix u = g.dense("U", m, k);
            float alpha = g.scalar();
            float beta = g.scalar();
            float[][] before = cm.toArray();
            Kernels ks = Kernels.of(backend, Parallel.sequential());
            ks.spmm(alpha, Op.IDENTITY, a, b, beta, cm);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                        double t = (double) a.value(p) * b.get(a.columnIndex(p), j);
                        sum += t;
                        abs += Math.abs(t);
                    }
                    double old = beta == 0f ? 0 : beta * (double) before[i][j];
                    Tolerance.assertClose(alpha * sum + old, cm.get(i, j), (int) (a.rowEnd(i) - a.rowStart(i)) + 2,
                            Math.abs(alpha) * abs + Math.abs(old), g.describe() + " spmm C[" + i + "," + j + "]");
                }
            }
            try (CsrMatrix out = a.copyStructure()) {
                ks.sddmm(a, u, b, out);
                for (int i = 0; i < m; i++) {
                    for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                        int col = a.columnIndex(p);
                        double sum = 0;
                        double abs = 0;
                        for (int t = 0; t < k; t++) {
                            double x = (double) u.get(i, t) * b.get(col, t);
                            sum += x;
                            abs += Math.abs(x);
                        }
                        Tolerance.assertClose(sum, out.value(p), k, abs, g.describe() + " sddmm (" + i + "," + col + ")");
                    }
                }
            }
        }
    }
}
