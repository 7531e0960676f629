package dev.lowrank.kernel;

import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** C = alpha·op(A)·op(B) + beta·C against the double reference, on both backends, all four op combinations. */
class GemmPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("gemm", 250);
    }

    /**
     * m, n, inner: mostly awkward sizes up to 130; one case in ten has more rows than a 192-row tile,
     * one more columns than a 1024-column tile (both above the 2^18 single-task threshold), and one an
     * inner dimension past the 256-deep packed panel, so several panels are accumulated into C.
     */
    static int[] shape(Gen g) {
        return switch (g.nextInt(10)) {
            case 0 -> new int[] {400 + g.nextInt(51), 25 + g.nextInt(24), 27 + g.nextInt(38)};
            case 1 -> new int[] {7 + g.nextInt(7), 1025 + g.nextInt(76), 40 + g.nextInt(25)};
            case 2 -> new int[] {g.dim(0, 40), g.dim(0, 40), 257 + g.nextInt(344)};
            default -> new int[] {g.dim(0, 130), g.dim(0, 130), g.dim(0, 130)};
        };
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gemmMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            int[] s = shape(g);
            int m = s[0];
            int n = s[1];
            int inner = s[2];
            Op opA = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            Op opB = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            boolean transA = opA == Op.TRANSPOSE;
            boolean transB = opB == Op.TRANSPOSE;
            DenseMatrix a = transA ? g.anyDense("A", inner, m) : g.anyDense("A", m, inner);
            DenseMatrix b = transB ? g.anyDense("B", n, inner) : g.anyDense("B", inner, n);
            DenseMatrix c0 = g.dense("C0", m, n);
            float alpha = g.scalar();
            float beta = g.scalar();
            g.note("opA=" + opA + " opB=" + opB + " alpha=" + alpha + " beta=" + beta);
            Reference.Expected want = Reference.gemm(alpha, transA, a, transB, b, beta, c0.toArray());
            for (Backend backend : Backend.values()) {
                DenseMatrix out = g.anyDense("C[" + backend + "]", m, n);
                out.copyFrom(c0);
                if (beta == 0f) {
                    // beta = 0 must not read C: NaN there would survive 0·NaN.
                    Gen.poison(out);
                }
                Kernels.of(backend, Parallel.defaults()).gemm(alpha, opA, a, opB, b, beta, out);
                String context = g.describe() + " backend=" + backend;
                want.assertMatches(out, context);
                Gen.assertPaddingZero(out, context);
            }
        }
    }
}
