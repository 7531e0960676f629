package dev.lowrank.kernel;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** C = alpha·op(A)·B + beta·C for a sparse A, against the double reference on both backends. */
class SpmmPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("spmm", 250);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void spmmMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            Op op = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            boolean trans = op == Op.TRANSPOSE;
            CsrMatrix a;
            int n;
            if (g.nextInt(8) == 0) {
                // Enough nonzeros × columns for several 2^16-work sparse blocks.
                a = g.csrUniform("A", 100 + g.nextInt(120), 100 + g.nextInt(120), 0.05 + 0.2 * g.random().nextDouble());
                n = 16 + g.nextInt(25);
            } else {
                a = g.csr("A", g.dim(0, 130), g.dim(0, 130));
                n = g.dim(0, 130);
            }
            int m = trans ? a.cols() : a.rows();
            int inner = trans ? a.rows() : a.cols();
            DenseMatrix b = g.anyDense("B", inner, n);
            DenseMatrix c0 = g.dense("C0", m, n);
            float alpha = g.scalar();
            float beta = g.scalar();
            g.note("op=" + op + " alpha=" + alpha + " beta=" + beta);
            Reference.Expected want = Reference.spmm(alpha, trans, a, b, beta, c0.toArray());
            for (Backend backend : Backend.values()) {
                DenseMatrix out = g.anyDense("C[" + backend + "]", m, n);
                out.copyFrom(c0);
                if (beta == 0f) {
                    Gen.poison(out);
                }
                Kernels.of(backend, Parallel.defaults()).spmm(alpha, op, a, b, beta, out);
                String context = g.describe() + " backend=" + backend;
                want.assertMatches(out, context);
                Gen.assertPaddingZero(out, context);
            }
        }
    }
}
