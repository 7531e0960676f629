package dev.lowrank.kernel.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.kernel.internal.panama.PanamaKernels;
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
 * Edge tiles of the blocked GEMM: both register tiles (6×2 and 8×3 vectors, whichever this CPU would pick),
 * every op combination, shapes that end inside an MR panel, inside a vector, inside an NR panel and past
 * a KC block, sub-tiles that start off the origin, and beta ≠ 0. Also the facade's tall tiles and split-K
 * path against a reference and across thread counts.
 */
class GemmTileEdgeTest {

    static Stream<Case> tiles() {
        return Cases.of("gemm-tile-edges", 80);
    }

    static Stream<Case> facade() {
        return Cases.of("gemm-facade-tiling", 12);
    }

    @ParameterizedTest
    @MethodSource("tiles")
    void everyTileMatchesTheReferenceOnItsSubTile(Case c) {
        try (Gen g = c.gen()) {
            String tile = g.nextBoolean() ? "T6X2" : "T8X3";
            boolean ta = g.nextBoolean();
            boolean tb = g.nextBoolean();
            int m = g.dim(1, 53);
            int n = g.dim(1, 103);
            int k = g.dim(1, 300);
            g.note(tile + " op=" + (ta ? "T" : "N") + (tb ? "T" : "N"));
            DenseMatrix a = ta ? g.dense("A", k, m) : g.dense("A", m, k);
            DenseMatrix b = tb ? g.dense("B", n, k) : g.dense("B", k, n);
            DenseMatrix cm = g.dense("C", m, n);
            float alpha = g.scalar();
            float beta = g.scalar();
            int r0 = g.nextInt(m);
            int r1 = r0 + 1 + g.nextInt(m - r0);
            int c0 = g.nextInt(n);
            int c1 = c0 + 1 + g.nextInt(n - c0);
            g.note("alpha=" + alpha + " beta=" + beta + " tile=[" + r0 + "," + r1 + ")x[" + c0 + "," + c1 + ")");
            float[][] before = cm.toArray();
            PanamaKernels.gemmWithTile(tile, ta, tb, alpha, a, b, beta, cm, r0, r1, c0, c1);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    String where = g.describe() + " C[" + i + "," + j + "]";
                    if (i < r0 || i >= r1 || j < c0 || j >= c1) {
                        Tolerance.assertClose(before[i][j], cm.get(i, j), 0, 0, where + " outside the tile changed");
                        continue;
                    }
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) (ta ? a.get(p, i) : a.get(i, p)) * (tb ? b.get(j, p) : b.get(p, j));
                        sum += t;
                        abs += Math.abs(t);
                    }
                    double expected = alpha * sum + (beta == 0f ? 0 : beta * (double) before[i][j]);
                    double absAll = Math.abs(alpha) * abs + (beta == 0f ? 0 : Math.abs(beta * (double) before[i][j]));
                    Tolerance.assertClose(expected, cm.get(i, j), k + 2, absAll, where);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("facade")
    void facadeTilesAndSplitKAreExactAndThreadCountFree(Case c) throws Exception {
        try (Gen g = c.gen(); Parallel two = Parallel.threads(2)) {
            boolean splitK = g.nextBoolean();
            // Split-K needs op = (T, N), a small C and a long inner dimension; the other branch crosses
            // several tall row tiles and an NR edge.
            int m = splitK ? g.dim(1, 13) : g.dim(100, 700);
            int n = splitK ? g.dim(1, 17) : g.dim(17, 70);
            int k = splitK ? g.dim(16_385, 20_000) : g.dim(1, 70);
            boolean ta = splitK || g.nextBoolean();
            boolean tb = !splitK && g.nextBoolean();
            DenseMatrix a = ta ? g.dense("A", k, m) : g.dense("A", m, k);
            DenseMatrix b = tb ? g.dense("B", n, k) : g.dense("B", k, n);
            DenseMatrix c1 = g.own(DenseMatrix.zeros(m, n));
            DenseMatrix c2 = g.own(DenseMatrix.zeros(m, n));
            float alpha = g.scalar();
            g.note("alpha=" + alpha + " op=" + (ta ? "T" : "N") + (tb ? "T" : "N"));
            Op opA = ta ? Op.TRANSPOSE : Op.IDENTITY;
            Op opB = tb ? Op.TRANSPOSE : Op.IDENTITY;
            Kernels.of(Backend.PANAMA, Parallel.sequential()).gemm(alpha, opA, a, opB, b, 0f, c1);
            Kernels.of(Backend.PANAMA, two).gemm(alpha, opA, a, opB, b, 0f, c2);
            assertArrayEquals(c1.toFlatArray(), c2.toFlatArray(), g.describe() + ": 1 and 2 threads differ");
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) (ta ? a.get(p, i) : a.get(i, p)) * (tb ? b.get(j, p) : b.get(p, j));
                        sum += t;
                        abs += Math.abs(t);
                    }
                    Tolerance.assertClose(alpha * sum, c1.get(i, j), k + 2, Math.abs(alpha) * abs,
                            g.describe() + " C[" + i + "," + j + "]");
                }
            }
        }
    }
}
